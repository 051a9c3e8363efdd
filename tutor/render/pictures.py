"""Tensors drawn as pictures: one image or the first few of a batch (`Picture`), and expected, yours
and the difference side by side (`PictureComparison`). Rich renderables, numpy only.

Every layout decision (how large, side by side or stacked, colour or characters) is taken at render
time from the width and the console they are given, like MismatchView, so they follow a resized
terminal or pane, NO_COLOR and `--color-system standard`. The drawing is in pixels.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment

from tutor.render.pixels import (Line, Scale, colours_available, draw, fitted_size, images_of, is_image_like,
                                 scale_for, side_by_side, text_line, value_range, wrapped)

GAP = 2  # columns between pictures
MIN_SIDE_BY_SIDE = 10  # narrower than this (or than the image, if smaller), the three are stacked
MAX_HEIGHT = 20  # cells an image may take unless told otherwise (a 224x224 photo would take 112)
MIN_ITEM = 12  # a batch's pictures are not shrunk below this to fit more on a row
CAPTION_STYLE = "bold"
LEGEND_STYLE = "dim"

__all__ = ["Picture", "PictureComparison", "difference", "is_image_like"]


def _lines_out(lines: list[Line]) -> RenderResult:
    for line in lines:
        yield from line
        yield Segment.line()


class Picture:
    """An image (2-D, (1|3, H, W)) or the first `limit` images of a batch (N, 1|3, H, W), drawn
    with one scale and a one-line legend under them.

    caption: a line above (e.g. the tensor's name); labels: one per image of a batch (class
    names), else their index; max_height: cells one image may take (None: as tall as the width
    makes it); colour: force colour on or off (None: from the console at render time)."""

    def __init__(self, values: np.ndarray, caption: str = "", *, labels: Sequence[str] | None = None,
                 limit: int = 8, max_height: int | None = MAX_HEIGHT, colour: bool | None = None) -> None:
        values = np.asarray(values)
        if not is_image_like(values.shape) and values.ndim != 2:
            raise ValueError(f"cannot draw shape {tuple(values.shape)} as a picture")
        self.batch = values.ndim == 4
        self.total = values.shape[0] if self.batch else 1
        self.images = images_of(values[:limit] if self.batch else values)
        self.labels = [str(label) for label in labels] if labels is not None else None
        self.caption = caption
        self.max_height = max_height
        self.colour = colour
        self.scale = scale_for(*self.images)

    def _item_cols(self, width: int) -> int:
        height, cols = self.images[0].shape[:2]
        natural = fitted_size(height, cols, 10_000, self.max_height)[1]
        if not self.batch:
            return max(1, min(natural, width))
        per_row = min(len(self.images), 4)
        share = (width - GAP * (per_row - 1)) // per_row
        return max(1, min(natural, width, max(MIN_ITEM, share)))

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        natural = self._item_cols(10_000)
        count = len(self.images)
        return Measurement(min(natural, 8), natural * count + GAP * (count - 1)).clamp(max_width=options.max_width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        colour = colours_available(console) if self.colour is None else self.colour
        width = options.max_width
        cols = self._item_cols(width)
        height, image_cols = self.images[0].shape[:2]
        pixel_rows, cols = fitted_size(height, image_cols, cols, self.max_height)
        lines: list[Line] = []
        caption = self.caption
        if self.batch and self.total > len(self.images):
            caption = f"{caption}: first {len(self.images)} of {self.total}" if caption else \
                f"first {len(self.images)} of {self.total}"
        if caption:
            lines.append(text_line(caption, width, CAPTION_STYLE))
        blocks = []
        for index, image in enumerate(self.images):
            block = draw(image, self.scale, pixel_rows, cols, colour)
            if self.batch:
                label = self.labels[index] if self.labels and index < len(self.labels) else f"[{index}]"
                block.insert(0, text_line(label, cols))
            blocks.append(block)
        per_row = max(1, (width + GAP) // (cols + GAP))
        for start in range(0, len(blocks), per_row):
            row = blocks[start:start + per_row]
            lines += side_by_side(row, [cols] * len(row), GAP)
        legend = f"{value_range(*self.images)}; {self.scale.legend(colour)}{nan_note(self.images, colour)}"
        lines += wrapped(console, legend, width, LEGEND_STYLE)
        yield from _lines_out(lines)


def nan_note(images: Sequence[np.ndarray], colour: bool) -> str:
    """How NaN looks, when there is one to see (an inf takes the colour of the end of its side)."""
    if not any(np.isnan(image).any() for image in images):
        return ""
    return "; NaN magenta" if colour else "; NaN '?'"


def difference(expected: np.ndarray, got: np.ndarray) -> np.ndarray:
    """yours - expected, 0 where they are equal (equal infinities and NaN in both included), NaN
    where only one of them is NaN; rgb: per pixel, the channel that differs most, with its sign."""
    expected = np.asarray(expected, dtype=np.float64)
    got = np.asarray(got, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = got - expected
    same = (expected == got) | (np.isnan(expected) & np.isnan(got))
    diff = np.where(same, 0.0, diff)
    if diff.ndim == 3:  # (H, W, 3): one value a pixel
        pick = np.nanargmax(np.where(np.isnan(diff), np.inf, np.abs(diff)), axis=-1)
        diff = np.take_along_axis(diff, pick[..., None], axis=-1)[..., 0]
    return diff


class PictureComparison:
    """Expected, yours and the difference (yours - expected), captioned, side by side when each can
    be at least MIN_SIDE_BY_SIDE wide in the width given, else stacked. Of a batch, the first image
    that differs is drawn and named. Expected and yours share one scale; the difference has a
    diverging one of its own. Of different shapes, the two are drawn without a difference."""

    def __init__(self, expected: np.ndarray, got: np.ndarray, name: str = "", *,
                 max_height: int | None = MAX_HEIGHT, colour: bool | None = None) -> None:
        expected, got = np.asarray(expected), np.asarray(got)
        for label, values in (("expected", expected), ("yours", got)):
            if not is_image_like(values.shape):
                raise ValueError(f"cannot draw {label} of shape {tuple(values.shape)} as a picture")
        self.name = name
        self.max_height = max_height
        self.colour = colour
        self.index = _first_differing(expected, got) if expected.ndim == 4 else None
        which = "" if self.index is None else f"[{self.index}]"
        self.expected, self.got = _item(expected, self.index or 0), _item(got, self.index or 0)
        self.scale = scale_for(self.expected, self.got)
        self.panels: list[tuple[str, np.ndarray, Scale]] = [
            (f"expected{which}", self.expected, self.scale), (f"yours{which}", self.got, self.scale)]
        self.diff_scale: Scale | None = None
        if self.expected.shape == self.got.shape:
            diff = difference(self.expected, self.got)
            self.diff_scale = scale_for(diff, kind="diverging")
            self.panels.append(("difference", diff, self.diff_scale))

    def _natural_cols(self) -> int:
        return max(fitted_size(*image.shape[:2], 10_000, self.max_height)[1] for _, image, _ in self.panels)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        natural = self._natural_cols()
        count = len(self.panels)
        return Measurement(min(natural, MIN_SIDE_BY_SIDE), natural * count + GAP * (count - 1)).clamp(
            max_width=options.max_width)

    def side_by_side_fits(self, width: int) -> bool:
        count = len(self.panels)
        share = (width - GAP * (count - 1)) // count
        return share >= min(self._natural_cols(), MIN_SIDE_BY_SIDE)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        colour = colours_available(console) if self.colour is None else self.colour
        width = options.max_width
        count = len(self.panels)
        beside = self.side_by_side_fits(width)
        room = (width - GAP * (count - 1)) // count if beside else width
        lines: list[Line] = []
        if self.name:
            lines.append(text_line(f"{self.name}: expected, yours and the difference", width, CAPTION_STYLE))
        blocks, widths = [], []
        for caption, image, scale in self.panels:
            pixel_rows, cols = fitted_size(*image.shape[:2], room, self.max_height)
            block = [text_line(caption, max(cols, min(room, len(caption))), CAPTION_STYLE)]
            block += draw(image, scale, pixel_rows, cols, colour)
            blocks.append(block)
            widths.append(max(cols, min(room, len(caption))))
        if beside:
            lines += side_by_side(blocks, widths, GAP)
        else:
            for block in blocks:
                lines += block
        note = nan_note([image for _, image, _ in self.panels], colour)
        legend = f"expected, yours: {value_range(self.expected, self.got)}; {self.scale.legend(colour)}"
        lines += wrapped(console, legend, width, LEGEND_STYLE)
        if self.diff_scale is not None:
            diff = self.panels[2][1]
            legend = f"{value_range(diff)}; {self.diff_scale.legend(colour)}" if self.diff_scale.high > 0 else "none"
            lines += wrapped(console, f"difference (yours - expected): {legend}", width, LEGEND_STYLE)
        if note:
            lines += wrapped(console, note[2:], width, LEGEND_STYLE)
        yield from _lines_out(lines)


def _item(values: np.ndarray, index: int) -> np.ndarray:
    """The image, or the index-th of a batch (converted alone: a batch may be large)."""
    return images_of(values[min(index, len(values) - 1)] if values.ndim == 4 else values)[0]


def _first_differing(expected: np.ndarray, got: np.ndarray) -> int:
    for index in range(min(len(expected), len(got)) if got.ndim == 4 else 0):
        want, have = expected[index], got[index]
        if want.shape != have.shape or not np.all((want == have) | (np.isnan(want) & np.isnan(have))):
            return index
    return 0
