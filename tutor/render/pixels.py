"""Arrays as pixels: which shapes are pictures, one value scale for the arrays drawn together, the
colour maps, fitting a picture to a box of cells, and the two ways to draw it: half-block cells in
colour (two pixels a cell), or characters by intensity when colours are not available.

Written here, not taken from a library. `rich-pixels` (last release 2024-03) and `textual-image`
(LGPL; graphics protocols that tmux, SSH and a plain rich Console do not carry, and terminal-size
queries of its own) draw a PIL image half-block by half-block and no more, and would make Pillow a
dependency of the UI process. What the tutor needs is around that drawing: one scale shared by
expected and yours, a diverging map for signed values and differences, NaN and inf shown, a
one-line legend, area-averaged shrinking, and a plain-text fallback chosen at render time. The
half-block drawing itself is the 20 lines of `colour_lines`. numpy only, never torch.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rich.color import Color
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

UPPER_HALF = "▀"
RAMP = " .:-=+*#%@"  # the plain fallback, dark to bright
NAN_RGB = (255, 0, 255)  # magenta: no colour map uses it
MIN_COLS = 16  # tiny images (8x8) are enlarged by whole steps until this wide

Line = list[Segment]


def colours_available(console: Console) -> bool:
    """Whether pictures can be drawn in colour: not with NO_COLOR, no colour system, or the 16
    colours of `--color-system standard` (a picture in 16 colours reads worse than characters).

    NO_COLOR is read from the environment too: Textual keeps it from its console and greys the
    screen instead, which would leave a picture of grey blocks where characters read better."""
    if console.no_color or os.environ.get("NO_COLOR"):
        return False
    return console.color_system not in (None, "standard", "windows")


def is_image_like(shape: Sequence[int]) -> bool:
    """The issue's rule: 2-D of at least 8x8, (1|3, H, W), or a batch (N, 1|3, H, W)."""
    shape = tuple(int(size) for size in shape)
    if len(shape) == 2:
        return shape[0] >= 8 and shape[1] >= 8
    if len(shape) == 3:
        return shape[0] in (1, 3) and shape[1] >= 1 and shape[2] >= 1
    if len(shape) == 4:
        return shape[0] >= 1 and shape[1] in (1, 3) and shape[2] >= 1 and shape[3] >= 1
    return False


def images_of(values: np.ndarray) -> list[np.ndarray]:
    """The pictures in an array, as float (H, W) or (H, W, 3): one, or each image of a batch."""
    values = np.asarray(values)
    if values.dtype == bool:
        values = values.astype(np.float64)
    values = values.astype(np.float64, copy=False)
    if values.ndim == 4:
        return [_one_image(item) for item in values]
    return [_one_image(values)]


def _one_image(values: np.ndarray) -> np.ndarray:
    if values.ndim == 2:
        return values
    if values.ndim == 3 and values.shape[0] == 1:
        return values[0]
    if values.ndim == 3 and values.shape[0] == 3:
        return np.moveaxis(values, 0, -1)
    raise ValueError(f"not an image: shape {tuple(values.shape)}")


@dataclass(frozen=True)
class Scale:
    """How values map to colours: `grey` (0 black .. high white), `diverging` (-high blue .. 0 black
    .. +high red), `rgb` (low .. high per channel), `heat` (low .. high, dark violet to yellow) or
    `bool` (False dark, True yellow)."""

    kind: str
    low: float
    high: float

    def unit(self, values: np.ndarray) -> np.ndarray:
        """Values placed on [0, 1] ([-1, 1] for diverging), clipped; NaN stays NaN."""
        with np.errstate(invalid="ignore"):
            if self.kind == "diverging":
                return np.clip(values / self.high, -1.0, 1.0) if self.high > 0 else np.where(np.isnan(values), values, 0.0)
            span = self.high - self.low
            if span <= 0:
                return np.where(np.isnan(values), values, 0.5)
            return np.clip((values - self.low) / span, 0.0, 1.0)

    def rgb(self, values: np.ndarray) -> np.ndarray:
        """(H, W, 3) uint8 colours for an (H, W) array, or (H, W, 3) for an rgb one; NaN magenta."""
        unit = self.unit(values)
        nan = np.isnan(unit) if self.kind != "rgb" else np.isnan(unit).any(axis=-1)
        unit = np.nan_to_num(unit, nan=0.0)
        if self.kind == "rgb":
            out = unit * 255.0
        elif self.kind == "diverging":
            ends = np.where(unit[..., None] < 0, _NEGATIVE, _POSITIVE)
            out = np.abs(unit)[..., None] * ends
        elif self.kind in ("heat", "bool"):
            out = _interpolate(_HEAT_STOPS, unit)
        else:
            out = np.repeat(unit[..., None] * 255.0, 3, axis=-1)
        out = np.rint(out).astype(np.uint8)
        out[nan] = NAN_RGB
        return out

    def level(self, values: np.ndarray) -> np.ndarray:
        """Brightness on [0, 1] for the plain fallback (NaN stays NaN). Diverging values show their
        size, not their sign: the legend says so."""
        unit = self.unit(values)
        if self.kind == "rgb":
            unit = unit.mean(axis=-1)
        return np.abs(unit) if self.kind == "diverging" else unit

    def legend(self, colour: bool = True) -> str:
        """One line: which values map to which colour (or character)."""
        if self.kind == "bool":
            return "True yellow, False dark violet" if colour else f"True '{RAMP[-1]}', False '{RAMP[0]}'"
        if not colour:
            if self.kind == "diverging":
                return f"'{RAMP[0]}' 0 … '{RAMP[-1]}' ±{number(self.high)} (size only, sign not shown)"
            return f"'{RAMP[0]}' {number(self.low)} … '{RAMP[-1]}' {number(self.high)}"
        if self.kind == "diverging":
            return f"-{number(self.high)} blue … 0 black … +{number(self.high)} red"
        if self.kind == "rgb":
            return f"RGB, {number(self.low)} … {number(self.high)} per channel"
        if self.kind == "heat":
            return f"{number(self.low)} violet … {number(self.high)} yellow"
        return f"{number(self.low)} black … {number(self.high)} white"


_NEGATIVE = np.array([70.0, 130.0, 255.0])
_POSITIVE = np.array([255.0, 90.0, 50.0])
_HEAT_STOPS = np.array([(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)], dtype=float)


def _interpolate(stops: np.ndarray, unit: np.ndarray) -> np.ndarray:
    position = unit * (len(stops) - 1)
    index = np.clip(np.floor(position).astype(int), 0, len(stops) - 2)
    frac = (position - index)[..., None]
    return stops[index] * (1 - frac) + stops[index + 1] * frac


def number(value: float) -> str:
    """A short, honest label for a value: 1, 0.87, -1.2, 255, 1.3e-05."""
    if not np.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.3g}"


def value_range(*arrays: np.ndarray) -> str:
    """'values -1.2 … 0.87': the finite values' range, stated beside every legend."""
    finite = [np.asarray(a, dtype=np.float64)[np.isfinite(a)] for a in arrays]
    finite = [a for a in finite if a.size]
    if not finite:
        return "no finite values"
    low, high = min(float(a.min()) for a in finite), max(float(a.max()) for a in finite)
    return f"values {number(low)} … {number(high)}"


def scale_for(*arrays: np.ndarray, kind: str | None = None) -> Scale:
    """One scale for the images (as `images_of` gives them) drawn together: expected and yours
    share one, so equal values look equal. Non-negative data is grey from 0 to 1 or 255 when it
    fits those ranges (a dim image stays dim), else to its maximum; a negative value makes it
    diverging around 0 (an rgb image is stretched from its minimum to its maximum instead)."""
    finite = np.concatenate([np.asarray(a, dtype=np.float64)[np.isfinite(a)].ravel() for a in arrays] or [np.zeros(0)])
    low = float(finite.min()) if finite.size else 0.0
    high = float(finite.max()) if finite.size else 1.0
    if kind == "bool":
        return Scale("bool", 0.0, 1.0)
    if kind == "heat":
        return Scale("heat", low, high)
    is_rgb = kind == "rgb" or (kind is None and any(np.ndim(a) == 3 and np.shape(a)[-1] == 3 for a in arrays))
    if kind == "diverging" or (not is_rgb and low < 0):
        return Scale("diverging", 0.0, max(abs(low), abs(high)))
    if low < 0:  # an rgb picture with negative values (normalised): stretched, and the legend says so
        return Scale("rgb", low, high)
    integral = finite.size > 0 and bool(np.all(finite == np.round(finite)))
    top = 1.0 if high <= 1 else 255.0 if (integral and 128 < high <= 255) else high
    return Scale("rgb" if is_rgb else "grey", 0.0, top)


def resample(image: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """(H, W[, 3]) to (rows, cols[, 3]): averaging the area each output pixel covers when shrinking
    (a NaN or inf in it shows), the nearest pixel when growing."""
    for axis, size in ((0, rows), (1, cols)):
        image = _resample_axis(image, axis, size)
    return image


def _resample_axis(image: np.ndarray, axis: int, size: int) -> np.ndarray:
    length = image.shape[axis]
    if size == length:
        return image
    if size > length:
        return np.take(image, (np.arange(size) * length) // size, axis=axis)
    starts = (np.arange(size) * length) // size
    counts = np.diff(np.append(starts, length))
    with np.errstate(invalid="ignore", over="ignore"):
        sums = np.add.reduceat(image, starts, axis=axis)
        shape = [1] * image.ndim
        shape[axis] = size
        return sums / counts.reshape(shape)


def fitted_size(height: int, width: int, max_cols: int, max_rows: int | None = None,
                min_cols: int = MIN_COLS) -> tuple[int, int]:
    """(pixel rows, cells wide) for an image drawn at most `max_cols` wide and `max_rows` cells
    tall, its shape kept (a cell is two pixels tall, about square): shrunk to fit, tiny images
    enlarged by whole steps to `min_cols`."""
    zoom = max(1, min_cols // max(width, 1))
    factor = float(zoom)
    factor = min(factor, max(max_cols, 1) / width)
    if max_rows is not None:
        factor = min(factor, max(max_rows, 1) * 2 / height)
    return max(1, round(height * factor)), max(1, round(width * factor))


@lru_cache(maxsize=4096)
def _style(upper: tuple[int, int, int], lower: tuple[int, int, int] | None) -> Style:
    return Style(color=Color.from_rgb(*upper), bgcolor=Color.from_rgb(*lower) if lower else None)


def colour_lines(rgb: np.ndarray) -> list[Line]:
    """(2R or 2R-1, C, 3) uint8 as R lines of C half-block cells: the upper pixel is the cell's
    foreground, the lower its background (none for the last row of an odd height). Neighbouring
    cells of the same colours share one segment (fewer escape codes to write)."""
    if rgb.shape[0] % 2:
        rgb = np.concatenate([rgb, np.full((1, *rgb.shape[1:]), -1, dtype=np.int16)]).astype(np.int16)
    pairs = rgb.reshape(rgb.shape[0] // 2, 2, rgb.shape[1], 3).transpose(0, 2, 1, 3).reshape(rgb.shape[0] // 2, rgb.shape[1], 6)
    lines: list[Line] = []
    for row in pairs.tolist():
        line: Line = []
        start = 0
        for col in range(1, len(row) + 1):
            if col == len(row) or row[col] != row[start]:
                upper, lower = tuple(row[start][:3]), tuple(row[start][3:])
                line.append(Segment(UPPER_HALF * (col - start), _style(upper, lower if lower[0] >= 0 else None)))
                start = col
        lines.append(line)
    return lines


def ramp_lines(level: np.ndarray) -> list[Line]:
    """(R, C) brightness on [0, 1] as R lines of characters from RAMP; NaN shows as '?'."""
    lines = []
    for row in level.tolist():
        chars = ["?" if value != value else RAMP[min(len(RAMP) - 1, int(value * (len(RAMP) - 1) + 0.5))] for value in row]
        lines.append([Segment("".join(chars))])
    return lines


def draw(image: np.ndarray, scale: Scale, pixel_rows: int, cols: int, colour: bool) -> list[Line]:
    """One image, resampled to `pixel_rows` x `cols`, as lines of cells (pixel_rows / 2 of them)."""
    if colour:
        return colour_lines(scale.rgb(resample(image, pixel_rows, cols)))
    rows = max(1, (pixel_rows + 1) // 2)
    return ramp_lines(scale.level(resample(image, rows, cols)))


def text_line(text: str, width: int, style: str | Style = "") -> Line:
    """A caption or legend cut with '…' to `width` cells."""
    if len(text) > width:
        text = text[:max(0, width - 1)] + "…"
    return [Segment(text, Style.parse(style) if isinstance(style, str) and style else (style or None))]


def wrapped(console: Console, text: str, width: int, style: str = "") -> list[Line]:
    """A legend wrapped at spaces to `width` cells (never cut: it says what the colours mean)."""
    return [list(line.render(console)) for line in Text(text, style=style).wrap(console, max(1, width))]


def side_by_side(blocks: Sequence[list[Line]], widths: Sequence[int], gap: int = 2) -> list[Line]:
    """Blocks of lines placed next to each other, each padded to its width, tops aligned."""
    height = max((len(block) for block in blocks), default=0)
    lines: list[Line] = []
    for index in range(height):
        line: Line = []
        for position, (block, width) in enumerate(zip(blocks, widths)):
            if position:
                line.append(Segment(" " * gap))
            part = block[index] if index < len(block) else []
            line.extend(Segment.adjust_line_length(part, width))
        lines.append(line)
    return lines
