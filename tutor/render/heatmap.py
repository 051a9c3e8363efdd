"""A matrix that is not an image (attention weights, a confusion matrix, a bool mask) as a heatmap,
its value range stated. Up to 12x12, every value is written in its coloured cell; larger, or when
the numbers do not fit the width, it is drawn as a picture (pixels.py), one value a pixel.
Without colours: the numbers alone, or characters by intensity. Decided at render time.
"""

from __future__ import annotations

import numpy as np
from rich.color import Color
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style

from tutor.render.pixels import (Line, Scale, colours_available, draw, fitted_size, text_line, value_range,
                                 wrapped)

NUMBERS_UP_TO = 12  # rows and columns; past it the values would not be read anyway
PICTURE_MIN_COLS = 32  # a small matrix drawn as a picture is enlarged by whole steps to this width
LABEL_STYLE = Style(dim=True)


def format_values(values: np.ndarray) -> list[list[str]]:
    """Each value as a short string: integers as they are, others with two decimals (in exponent
    form when the largest is 1000 or more, or under 0.01); bool as T and F."""
    if values.dtype == bool:
        return [["T" if value else "F" for value in row] for row in values.tolist()]
    values = values.astype(np.float64)
    finite = values[np.isfinite(values)]
    if finite.size and np.all(finite == np.round(finite)) and np.abs(finite).max() < 1e6:
        return [[str(int(v)) if np.isfinite(v) else str(v) for v in row] for row in values.tolist()]
    largest = float(np.abs(finite).max()) if finite.size else 0.0
    spec = ".1e" if largest >= 1000 or 0 < largest < 0.01 else ".2f"
    return [[format(v, spec) if np.isfinite(v) else str(v) for v in row] for row in values.tolist()]


def scale_of(values: np.ndarray) -> Scale:
    if values.dtype == bool:
        return Scale("bool", 0.0, 1.0)
    finite = values[np.isfinite(values)].astype(np.float64)
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if low < 0:
        return Scale("diverging", 0.0, max(-low, abs(high)))
    return Scale("heat", low, high)


def _ink(background: tuple[int, int, int]) -> Color:
    red, green, blue = background
    return Color.from_rgb(0, 0, 0) if 0.299 * red + 0.587 * green + 0.114 * blue > 140 else Color.from_rgb(255, 255, 255)


class Heatmap:
    """A 2-D array (a 1-D one is one row) as a heatmap with its range.

    caption: a line above; numbers: write the values in the cells (None: when it is at most 12x12
    and fits the width); max_height: cells the picture may take when drawn as one; colour: force
    colour on or off (None: from the console at render time)."""

    def __init__(self, values: np.ndarray, caption: str = "", *, numbers: bool | None = None,
                 max_height: int | None = 20, colour: bool | None = None) -> None:
        values = np.asarray(values)
        if values.ndim == 1:
            values = values[None, :]
        if values.ndim != 2 or values.size == 0:
            raise ValueError(f"a heatmap needs a non-empty 2-D array, not shape {tuple(values.shape)}")
        self.values = values
        self.caption = caption
        self.numbers = numbers
        self.max_height = max_height
        self.colour = colour
        self.scale = scale_of(values)
        self.cells = format_values(values)

    def _grid_widths(self) -> tuple[int, int]:
        """(row label width, cell width) of the numbers grid."""
        rows, cols = self.values.shape
        label = len(str(rows - 1))
        cell = max(max(len(str(cols - 1)), max(len(text) for row in self.cells for text in row)) + 1, 2)
        return label, cell

    def _numbers_fit(self, width: int) -> bool:
        rows, cols = self.values.shape
        if self.numbers is False or (self.numbers is None and max(rows, cols) > NUMBERS_UP_TO):
            return False
        label, cell = self._grid_widths()
        return label + 1 + cols * cell <= width

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        label, cell = self._grid_widths()
        grid = label + 1 + self.values.shape[1] * cell
        picture = fitted_size(*self.values.shape, 10_000, self.max_height, PICTURE_MIN_COLS)[1]
        widest = grid if self._numbers_fit(10_000) else picture
        return Measurement(min(widest, 8), max(widest, len(self.caption))).clamp(max_width=options.max_width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        colour = colours_available(console) if self.colour is None else self.colour
        width = options.max_width
        lines: list[Line] = [text_line(self.caption, width, "bold")] if self.caption else []
        grid = self._numbers_fit(width)
        if grid:
            lines += self._grid(colour)
        else:
            pixel_rows, cols = fitted_size(*self.values.shape, width, self.max_height, PICTURE_MIN_COLS)
            lines += draw(self.values.astype(np.float64), self.scale, pixel_rows, cols, colour)
        lines += wrapped(console, self._legend(colour, grid), width, "dim")
        for line in lines:
            yield from line
            yield Segment.line()

    def _grid(self, colour: bool) -> list[Line]:
        label, cell = self._grid_widths()
        rows, cols = self.values.shape
        header = " " * (label + 1) + "".join(str(col).rjust(cell) for col in range(cols))
        lines: list[Line] = [[Segment(header, LABEL_STYLE)]]
        backgrounds = self.scale.rgb(self.values.astype(np.float64)).tolist() if colour else None
        for row in range(rows):
            line: Line = [Segment(str(row).rjust(label) + " ", LABEL_STYLE)]
            for col in range(cols):
                text = self.cells[row][col].rjust(cell)
                if backgrounds is None:
                    line.append(Segment(text))
                else:
                    background = tuple(backgrounds[row][col])
                    line.append(Segment(text, Style(color=_ink(background), bgcolor=Color.from_rgb(*background))))
            lines.append(line)
        return lines

    def _legend(self, colour: bool, grid: bool) -> str:
        values = self.values
        if values.dtype == bool:
            return f"True in {int(values.sum())} of {values.size}" + ("" if grid and not colour else
                                                                      f"; {self.scale.legend(colour)}")
        stated = value_range(values)
        missing = int(np.isnan(values.astype(np.float64)).sum())
        looks = " (magenta)" if colour else "" if grid else " ('?')"
        nan = f"; {missing} NaN{looks}" if missing else ""
        return f"{stated}{nan}" if grid and not colour else f"{stated}; {self.scale.legend(colour)}{nan}"
