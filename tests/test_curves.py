"""The curve plot (tutor/render/curves.py): where the dots land, the two series told apart without
colour, the axes' labels, and NaN, inf, one point or a hundred thousand points drawn, never fatal."""

from __future__ import annotations

import numpy as np
import pytest
from rich.console import Console
from rich.segment import Segment

from tutor.render.curves import REFERENCE_STYLE, YOURS_STYLE, CurvePlot, braille, trace

WIDTHS = (40, 60, 80, 120)
SYSTEMS = ("truecolor", "256", "standard", None)
LEFT_DOTS, RIGHT_DOTS = 0x01 | 0x02 | 0x04 | 0x40, 0x08 | 0x10 | 0x20 | 0x80
STEPS = np.arange(200)
FALLING = 2.3 * np.exp(-STEPS / 40) + 0.1


def console(width: int, system: str | None = "truecolor") -> Console:
    return Console(width=width, color_system=system, force_terminal=system is not None, no_color=False)


def lines(plot: CurvePlot, width: int = 80, system: str | None = "truecolor") -> list[list[Segment]]:
    out = console(width, system)
    return [[s for s in line if s.text] for line in out.render_lines(plot, out.options, pad=False)]


def text(plot: CurvePlot, width: int = 80, system: str | None = "truecolor") -> list[str]:
    return ["".join(s.text for s in line) for line in lines(plot, width, system)]


def plot_area(plot: CurvePlot, width: int = 80) -> list[list[tuple[int, object]]]:
    """The rows of the plot, as (braille bits or 0, style) per cell right of the y axis."""
    rows = []
    for line in lines(plot, width):
        joined = "".join(s.text for s in line)
        if "┤" not in joined and "│" not in joined:
            continue
        cells = []
        seen_axis = False
        for segment in line:
            if not seen_axis:
                seen_axis = segment.text.endswith(("┤", "│"))
                continue
            for char in segment.text:
                cells.append((ord(char) - 0x2800 if char != " " else 0, segment.style))
        rows.append(cells)
    return rows


def test_a_falling_curve_starts_top_left_and_ends_bottom_right():
    rows = plot_area(CurvePlot(FALLING, height=10))
    assert len(rows) == 10 and all(len(row) == len(rows[0]) for row in rows)
    assert rows[0][0][0] and rows[0][0][1] == YOURS_STYLE
    assert rows[-1][-1][0] and rows[-1][-1][1] == YOURS_STYLE
    assert not rows[-1][0][0] and not rows[0][-1][0]
    # One line: every column of the plot has dots of it.
    assert all(any(row[c][0] for row in rows) for c in range(len(rows[0])))


def test_yours_is_solid_and_the_reference_dotted_so_they_differ_without_colour():
    flat_yours, flat_reference = np.full(100, 2.0), np.full(100, 1.0)
    plot = CurvePlot(flat_yours, flat_reference, height=8)
    rows = plot_area(plot)
    reference_cells = [bits for row in rows for bits, style in row if style == REFERENCE_STYLE]
    yours_cells = [bits for row in rows for bits, style in row if style == YOURS_STYLE]
    assert reference_cells and all(bits & RIGHT_DOTS == 0 for bits in reference_cells)  # dotted
    assert yours_cells and all(bits & LEFT_DOTS and bits & RIGHT_DOTS for bits in yours_cells)  # solid
    plain = text(plot, 80, None)  # no colour at all: the characters alone tell them apart
    top, bottom = (line.split("┤")[1] for line in (plain[0], plain[7]))
    assert plain[0].lstrip().startswith("2┤") and top and all(ord(ch) - 0x2800 & RIGHT_DOTS for ch in top)
    assert plain[7].lstrip().startswith("1┤") and bottom and all(ord(ch) - 0x2800 & RIGHT_DOTS == 0 for ch in bottom)
    legend = next(line for line in plain if "yours" in line)
    assert "⠒⠒ yours (last 2)" in legend and "⠂⠂ reference (last 1)" in legend


def test_the_axes_name_the_range_and_the_steps():
    out = text(CurvePlot(FALLING, height=9))
    assert out[0].split("┤")[0].strip() == f"{FALLING.max():.3g}"
    assert out[8].split("┤")[0].strip() == f"{FALLING.min():.3g}"
    assert out[9].lstrip().startswith("└┬") and out[9].count("┬") == 3
    steps = out[10].split()
    assert steps[0] == "step" and steps[1] == "0" and steps[-1] == "199" and 95 <= int(steps[2]) <= 105
    assert text(CurvePlot(FALLING, x_label="epoch"))[11].split()[0] == "epoch"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("system", SYSTEMS)
def test_it_fits_the_width(width, system):
    rng = np.random.default_rng(0)
    for plot in (CurvePlot(FALLING, FALLING * 1.1, title="loss " * 30), CurvePlot(rng.normal(size=5000) * 1e6),
                 CurvePlot([np.nan, 1.0, np.inf], [1e-7, 2e-7]), CurvePlot([], FALLING)):
        for line in lines(plot, width, system):
            assert sum(s.cell_length for s in line) <= width
    assert max(len(line) for line in text(CurvePlot(FALLING, width=50), 120)) <= 50


def test_a_nan_breaks_the_line_is_marked_on_the_axis_and_explained():
    losses = np.full(120, 2.30)
    losses[60:] = np.nan
    out = text(CurvePlot(losses, FALLING[:120], height=8), 60)
    axis = next(line for line in out if "└" in line)
    steps = out[out.index(axis) + 1]
    assert "×" in axis and steps[axis.index("×"):].startswith("60")  # the mark sits over its step
    assert "× yours: NaN at step 60 (60 of 120 values not finite)" in out
    assert "yours (last nan)" in " ".join(out)
    rows = plot_area(CurvePlot(losses, height=8), 60)
    drawn = [c for row in rows for c, (bits, _) in enumerate(row) if bits]
    assert max(drawn) < len(rows[0]) // 2 + 1  # nothing drawn after the NaN


def test_inf_and_all_nan_curves_are_drawn_and_said():
    out = text(CurvePlot([1.0, 0.5, np.inf, 0.25]))
    assert "× yours: inf at step 2" in out
    nothing = text(CurvePlot([np.nan] * 5))
    assert "× yours: NaN at step 0 (5 of 5 values not finite)" in nothing
    assert "-inf at step 1" in " ".join(text(CurvePlot([1.0, -np.inf])))


def test_one_point_an_empty_curve_and_a_flat_one():
    one = CurvePlot([1.5], height=8)
    rows = plot_area(one)
    assert sum(1 for row in rows for bits, _ in row if bits) == 1
    assert text(one)[9].split() == ["step", "0"]
    empty = " ".join(text(CurvePlot([], FALLING)))
    assert "yours (no values yet)" in empty and "reference (last" in empty
    flat = plot_area(CurvePlot([3.0] * 50, height=8))
    lit_rows = {r for r, row in enumerate(flat) for bits, _ in row if bits}
    assert lit_rows and lit_rows <= {3, 4}  # mid-height


def test_a_hundred_thousand_points_keep_their_spike():
    values = np.ones(100_000)
    values[73_123] = 50.0
    rows = plot_area(CurvePlot(values, height=8))
    top = [c for c, (bits, _) in enumerate(rows[0]) if bits]
    assert len(top) == 1 and abs(top[0] - 0.73 * len(rows[0])) <= 2
    assert text(CurvePlot(values))[-2].split()[-1] == "99999"


def test_trace_joins_points_and_braille_packs_dots():
    grid = trace(np.array([0.0, 1.0]), 2, 4, 4, 0.0, 1.0)
    # From the bottom left to the top right, every column and every row crossed.
    assert grid[3, 0] and grid[0, 3] and grid.any(axis=0).all() and grid.any(axis=1).all()
    dots = np.zeros((4, 2), dtype=bool)
    dots[0, 0] = dots[3, 1] = True
    assert braille(dots).tolist() == [[0x01 | 0x80]]
