"""A learner's curve (losses per step, accuracies per epoch) against the reference's, as a small line
plot: braille dots (2x4 a cell), three y tick labels, the steps under the x axis, a legend.

The two series differ in shape, not only colour, so the plot reads with NO_COLOR: yours is a solid
line, the reference a dotted one (every other column of dots). Thousands of points are reduced to
first, lowest, highest and last per column of dots (a spike still shows); a NaN or inf breaks the
line, is marked on the x axis with "×", and a line under the plot says where it started. Width
is decided at render time. Rich only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

YOURS_STYLE, REFERENCE_STYLE, AXIS_STYLE = Style(color="cyan", bold=True), Style(color="yellow"), Style(dim=True)
YOURS_MARK, REFERENCE_MARK = "⠒⠒", "⠂⠂"  # a solid and a dotted piece of line, for the legend
# Braille bits by (row, column) of the dot inside a cell.
_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]])


def tick(value: float) -> str:
    return f"{value:.3g}"


def dot_column(steps: np.ndarray, count: int, xdots: int) -> np.ndarray:
    """The column of dots each step is drawn in: 0 .. xdots - 1 spread over 0 .. count - 1."""
    return np.rint(steps * (xdots - 1) / max(count - 1, 1)).astype(int)


def _points(values: np.ndarray, count: int, xdots: int) -> list[tuple[int, float] | None]:
    """(dot column, value) for each finite value, None where a non-finite one breaks the line.
    More points than 4 a column are reduced to each column's first, lowest, highest and last."""
    cols = dot_column(np.arange(len(values)), count, xdots)
    finite = np.isfinite(values)
    points: list[tuple[int, float] | None] = []
    start = 0
    while start < len(values):  # one run of finite values at a time
        if not finite[start]:
            points.append(None)
            start += 1
            continue
        end = start
        while end < len(values) and finite[end]:
            end += 1
        run_cols, run_values = cols[start:end], values[start:end]
        if end - start <= 4 * xdots:
            points += list(zip(run_cols.tolist(), run_values.tolist()))
        else:
            edges = np.flatnonzero(np.diff(run_cols)) + 1
            for col, chunk in zip(run_cols[np.r_[0, edges]].tolist(), np.split(run_values, edges)):
                low, high = int(chunk.argmin()), int(chunk.argmax())
                for index in sorted({0, low, high, len(chunk) - 1}):
                    points.append((col, float(chunk[index])))
        start = end
    return points


def trace(values: np.ndarray, count: int, xdots: int, ydots: int, low: float, high: float) -> np.ndarray:
    """A (ydots, xdots) grid of dots for one series, consecutive points joined by straight lines."""
    grid = np.zeros((ydots, xdots), dtype=bool)
    span = high - low

    def row(value: float) -> int:
        return int(round((high - value) / span * (ydots - 1)))

    previous: tuple[int, int] | None = None
    for point in _points(values, count, xdots):
        if point is None:
            previous = None
            continue
        col, r = point[0], row(point[1])
        if previous is None:
            grid[r, col] = True
        else:
            c0, r0 = previous
            last = r0
            for c in range(c0, col + 1):
                at = r if col == c0 else int(round(r0 + (r - r0) * (c - c0) / (col - c0)))
                grid[min(last, at):max(last, at) + 1, c] = True
                last = at
        previous = (col, r)
    return grid


def braille(grid: np.ndarray) -> np.ndarray:
    """(4R, 2C) dots as an (R, C) array of braille bit patterns."""
    rows, cols = grid.shape[0] // 4, grid.shape[1] // 2
    cells = grid.reshape(rows, 4, cols, 2)
    return np.einsum("rick,ik->rc", cells.astype(np.int64), _BITS)


class CurvePlot:
    """Yours (solid) against the reference (dotted), one point per value, steps on the x axis.

    yours, reference: the values (either may be empty or absent: a live plot starts empty);
    height: rows of the plot area (8-12 reads well); width: at most this many columns (None: the
    width given); title: a line above; x_label: what a step is ("step", "epoch")."""

    def __init__(self, yours: Sequence[float], reference: Sequence[float] | None = None, *, title: str = "",
                 height: int = 10, width: int | None = None, x_label: str = "step") -> None:
        self.yours = np.asarray(list(yours), dtype=np.float64).ravel()
        self.reference = np.asarray(list(reference) if reference is not None else [], dtype=np.float64).ravel()
        self.title = title
        self.height = max(2, int(height))
        self.width = width
        self.x_label = x_label

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(20, self.width or options.max_width).clamp(max_width=options.max_width)

    def _range(self) -> tuple[float, float]:
        both = np.concatenate([self.yours, self.reference])
        finite = both[np.isfinite(both)]
        if not finite.size:
            return 0.0, 1.0
        low, high = float(finite.min()), float(finite.max())
        if high - low <= 1e-12 * max(abs(low), abs(high), 1.0):  # a flat curve sits mid-height
            pad = abs(low) * 0.1 or 1.0
            return low - pad, high + pad
        return low, high

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = min(options.max_width, self.width or options.max_width)
        low, high = self._range()
        middle_row = self.height // 2
        ydots = 4 * self.height
        labels = {0: tick(high), middle_row: tick(high - (4 * middle_row + 1.5) / (ydots - 1) * (high - low)),
                  self.height - 1: tick(low)}
        label_width = max(len(label) for label in labels.values())
        cols = max(4, width - label_width - 1)
        xdots = 2 * cols
        count = max(len(self.yours), len(self.reference), 1)
        mine = trace(self.yours, count, xdots, ydots, low, high)
        theirs = trace(self.reference, count, xdots, ydots, low, high)
        theirs[:, 1::2] = False  # dotted
        mine_cells, theirs_cells = braille(mine), braille(theirs)
        if self.title:
            yield Text(self.title, style="bold", no_wrap=True, overflow="ellipsis")
        for r in range(self.height):
            yield Segment(labels.get(r, "").rjust(label_width) + ("┤" if r in labels else "│"), AXIS_STYLE)
            for c in range(cols):
                bits = int(mine_cells[r, c] | theirs_cells[r, c])
                style = YOURS_STYLE if mine_cells[r, c] else REFERENCE_STYLE if bits else None
                yield Segment(chr(0x2800 + bits) if bits else " ", style)
            yield Segment.line()
        yield from self._x_axis(label_width, cols, count)
        yield from self._legend(console, options.update_width(width))

    def _x_axis(self, label_width: int, cols: int, count: int) -> RenderResult:
        axis = ["─"] * cols
        middle = cols // 2
        marks = [("0", 0)]
        if count > 2:
            label = str(round(2 * middle * (count - 1) / (2 * cols - 1)))  # the step under the tick
            marks.append((label, middle - (len(label) - 1) // 2))
        if count > 1:
            marks.append((str(count - 1), cols - len(str(count - 1))))
        for position in (0, middle, cols - 1)[:len(marks)]:
            axis[position] = "┬"
        for values in (self.yours, self.reference):
            bad = np.flatnonzero(~np.isfinite(values))
            if bad.size:
                axis[int(dot_column(bad[:1], count, 2 * cols)[0]) // 2] = "×"
        yield Segment(" " * label_width + "└" + "".join(axis), AXIS_STYLE)
        yield Segment.line()
        steps = [" "] * (cols + 1)
        for text, at in marks:  # a label is dropped rather than run into another
            at = max(0, min(at, cols + 1 - len(text)))
            if all(ch == " " for ch in steps[max(0, at - 1):at + len(text) + 1]):
                steps[at:at + len(text)] = list(text)
        # What a step is goes under the y labels when it fits there.
        name = self.x_label.rjust(label_width) if len(self.x_label) <= label_width else " " * label_width
        yield Segment(name + " " + "".join(steps).rstrip(), AXIS_STYLE)
        yield Segment.line()

    def _legend(self, console: Console, options: ConsoleOptions) -> RenderResult:
        entries = []
        for mark, name, values, style in ((YOURS_MARK, "yours", self.yours, YOURS_STYLE),
                                          (REFERENCE_MARK, "reference", self.reference, REFERENCE_STYLE)):
            if name != "reference" or values.size:
                entries.append(Text.assemble((mark, style), f" {name} ({_last(values)})"))
        legend = Text("   ").join(entries)
        if legend.cell_len > options.max_width:  # one entry a line rather than one cut in two
            legend = Text("\n").join(entries)
        yield from console.render(legend, options)
        for name, values in (("yours", self.yours), ("reference", self.reference)):
            bad = np.flatnonzero(~np.isfinite(values))
            if bad.size:
                first = values[bad[0]]
                kind = "NaN" if np.isnan(first) else str(first)
                more = f" ({bad.size} of {values.size} values not finite)" if bad.size > 1 else ""
                yield from console.render(Text(f"× {name}: {kind} at {self.x_label} {bad[0]}{more}", style="bold red"),
                                          options)


def _last(values: np.ndarray) -> str:
    if not values.size:
        return "no values yet"
    return f"last {tick(float(values[-1]))}" if np.isfinite(values[-1]) else f"last {values[-1]}"
