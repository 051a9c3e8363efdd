"""Tensors drawn as pictures and heatmaps (tutor/render/pictures.py, heatmap.py, pixels.py): what each
cell shows (its characters and colours), that every layout fits the width it is given, and the
plain fallback chosen from the console at render time."""

from __future__ import annotations

import numpy as np
import pytest
from rich.console import Console
from rich.segment import Segment

from tutor.render.heatmap import Heatmap, format_values
from tutor.render.pictures import Picture, PictureComparison, difference, is_image_like
from tutor.render.pixels import NAN_RGB, RAMP, Scale, colours_available, fitted_size, resample, scale_for

WIDTHS = (40, 80, 120)
SYSTEMS = ("truecolor", "256", "standard", None)
BLACK, WHITE = (0, 0, 0), (255, 255, 255)


@pytest.fixture(autouse=True)
def without_no_color(monkeypatch):
    """The tests set NO_COLOR themselves where they mean it, whatever the environment they run in."""
    monkeypatch.delenv("NO_COLOR", raising=False)


def console(width: int = 80, system: str | None = "truecolor") -> Console:
    # no_color given: the tests do not depend on the environment they run in.
    return Console(width=width, color_system=system, force_terminal=system is not None, legacy_windows=False,
                   no_color=False)


def lines(renderable, width: int = 80, system: str | None = "truecolor") -> list[list[Segment]]:
    out = console(width, system)
    return [[segment for segment in line if segment.text] for line in out.render_lines(renderable, out.options, pad=False)]


def text(renderable, width: int = 80, system: str | None = "truecolor") -> list[str]:
    return ["".join(segment.text for segment in line) for line in lines(renderable, width, system)]


def cells(line: list[Segment]) -> list[tuple[str, tuple | None, tuple | None]]:
    """(character, foreground rgb, background rgb) of each cell of a line."""
    out = []
    for segment in line:
        style = segment.style
        fg = style.color.get_truecolor() if style and style.color else None
        bg = style.bgcolor.get_truecolor() if style and style.bgcolor else None
        out += [(char, tuple(fg) if fg else None, tuple(bg) if bg else None) for char in segment.text]
    return out


def picture_rows(renderable, width: int = 80, system: str | None = "truecolor") -> list[list[tuple]]:
    """The lines made of half blocks, as cells."""
    return [cells(line) for line in lines(renderable, width, system) if any("▀" in s.text for s in line)]


def digit(size: int = 28) -> np.ndarray:
    image = np.zeros((size, size))
    image[4:24, 12:16] = 1.0
    return image


def test_is_image_like_follows_the_issue_rule():
    assert is_image_like((8, 8)) and is_image_like((28, 28)) and is_image_like((8, 300))
    assert not is_image_like((7, 8)) and not is_image_like((8, 7)) and not is_image_like((64,))
    assert is_image_like((1, 28, 28)) and is_image_like((3, 32, 32))
    assert not is_image_like((2, 28, 28)) and not is_image_like((4, 32, 32))
    assert is_image_like((16, 1, 28, 28)) and is_image_like((2, 3, 32, 32))
    assert not is_image_like((16, 2, 28, 28)) and not is_image_like((0, 1, 28, 28))
    assert not is_image_like((1, 1, 1, 28, 28)) and not is_image_like(())


def test_a_diagonal_lands_on_the_diagonal_cells():
    rows = picture_rows(Picture(np.eye(16)))
    assert len(rows) == 8 and all(len(row) == 16 for row in rows)  # 16 pixels wide, two pixel rows a cell
    for r, row in enumerate(rows):
        for c, (char, fg, bg) in enumerate(row):
            assert char == "▀"
            assert fg == (WHITE if c == 2 * r else BLACK), (r, c)  # the upper pixel: row 2r
            assert bg == (WHITE if c == 2 * r + 1 else BLACK), (r, c)  # the lower pixel: row 2r + 1


def test_a_small_checkerboard_is_enlarged_by_whole_steps_and_stays_a_checkerboard():
    board = np.indices((8, 8)).sum(axis=0) % 2
    rows = picture_rows(Picture(board))
    assert len(rows) == 8 and len(rows[0]) == 16  # 8x8 doubled to 16 columns, 16 pixel rows
    for r, row in enumerate(rows):
        for c, (_, fg, bg) in enumerate(row):
            expected = WHITE if board[r, c // 2] else BLACK
            assert fg == bg == expected, (r, c)
    plain = [line for line in text(Picture(board), system=None) if set(line) <= set(RAMP)]
    assert plain[0] == "  @@" * 4 and plain[1] == "@@  " * 4


def test_expected_and_yours_share_one_scale_so_equal_values_look_equal():
    dim = np.full((8, 8), 0.25)
    bright = np.full((8, 8), 0.25)
    bright[0, 0] = 1.0
    rows = picture_rows(PictureComparison(dim, bright), width=120)
    # Three pictures side by side on each line: expected, yours, the difference.
    expected_grey = rows[3][0][1]
    yours_grey = rows[3][20][1]
    assert expected_grey == yours_grey == (64, 64, 64)  # 0.25 of white in both, not stretched


def test_signed_values_get_a_diverging_map_and_the_legend_says_which_is_which():
    image = np.zeros((8, 8))
    image[:4] = -1.2
    image[4:] = 0.87
    picture = Picture(image)
    rows = picture_rows(picture)
    negative, positive = rows[0][0][1], rows[-1][0][1]
    assert negative[2] > negative[0] and positive[0] > positive[2]  # blue above, red below
    legend = text(picture)[-1]
    assert "values -1.2 … 0.87" in legend and "blue" in legend and "0 black" in legend and "red" in legend


def test_rgb_images_keep_their_channels():
    image = np.zeros((3, 8, 8))
    image[0, :4] = 1.0  # red on top
    image[2, 4:] = 1.0  # blue below
    rows = picture_rows(Picture(image))
    assert rows[0][0][1] == (255, 0, 0) and rows[-1][0][2] == (0, 0, 255)
    assert "RGB" in text(Picture(image))[-1]


@pytest.mark.parametrize("value", [0.0, 0.5, 7.0, -3.0])
def test_a_constant_image_draws_one_colour(value):
    rows = picture_rows(Picture(np.full((10, 10), value)))
    colours = {cell[1] for row in rows for cell in row} | {cell[2] for row in rows for cell in row if cell[2]}
    assert len(colours) == 1


def test_nan_and_inf_are_shown_not_fatal():
    image = np.linspace(0, 1, 100).reshape(10, 10)
    image[0, 0] = np.nan
    image[0, 1] = np.inf
    picture = Picture(image)
    first = picture_rows(picture)[0]
    assert first[0][1] == NAN_RGB and first[1][1] == WHITE  # inf takes the end of the scale
    assert "NaN magenta" in text(picture)[-1]
    plain = text(picture, system=None)
    assert plain[0].startswith("?@") and "NaN '?'" in plain[-1]
    everything_nan = np.full((8, 8), np.nan)
    assert "no finite values" in " ".join(text(Picture(everything_nan)))
    assert "no finite values" in " ".join(text(PictureComparison(everything_nan, everything_nan)))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("system", SYSTEMS)
def test_every_view_fits_the_width(width, system):
    rng = np.random.default_rng(0)
    views = [PictureComparison(digit(), digit() * 0.5, "x"), PictureComparison(rng.normal(size=(64, 200)), rng.normal(size=(64, 200))),
             Picture(rng.random((16, 1, 28, 28)), "batch", labels=[f"sneaker number {i}" for i in range(16)]),
             Picture(rng.random((3, 32, 32))), Heatmap(rng.random((12, 12)), "attention"),
             Heatmap(rng.integers(0, 1000, (10, 10)), "confusion"), Heatmap(rng.random((50, 300)) > 0.5, "mask")]
    for view in views:
        for line in lines(view, width, system):
            assert sum(segment.cell_length for segment in line) <= width


def test_side_by_side_at_80_and_120_stacked_when_too_narrow():
    comparison = PictureComparison(digit(), np.clip(digit() + 0.3, 0, 1), "x")
    for width in (40, 80, 120):
        captions = [line for line in text(comparison, width) if line.startswith("expected")]
        assert "yours" in captions[0] and "difference" in captions[0], width
    narrow = text(comparison, 30)
    assert [line.strip() for line in narrow if line.strip() in ("expected", "yours", "difference")] == \
        ["expected", "yours", "difference"]
    assert len(picture_rows(comparison, 80)) <= 14  # shrunk to fit 80 columns, 28 pixels tall at most


def test_the_difference_is_dark_where_they_agree_and_coloured_where_they_do_not():
    want = digit()
    got = want.copy()
    got[20:24, 0:4] = 0.8  # bottom left: yours is brighter there
    rows = picture_rows(PictureComparison(want, got), width=120)
    start = 2 * (28 + 2)  # the third picture
    diff = [row[start:start + 28] for row in rows]
    lit = {(r, c) for r, row in enumerate(diff) for c, cell in enumerate(row) if cell[1] != BLACK or cell[2] != BLACK}
    assert lit == {(r, c) for r in (10, 11) for c in range(4)}
    assert all(diff[10][c][1][0] > diff[10][c][1][2] for c in range(4))  # positive: red


def test_of_a_batch_the_first_image_that_differs_is_compared():
    want = np.zeros((4, 1, 8, 8))
    got = want.copy()
    got[2, 0, 3, 3] = 1.0
    out = " ".join(text(PictureComparison(want, got)))
    assert "expected[2]" in out and "yours[2]" in out


def test_a_batch_draws_the_first_few_with_their_labels():
    batch = np.random.default_rng(1).random((16, 1, 28, 28))
    out = text(Picture(batch, "samples", labels=[f"class {i}" for i in range(16)], limit=8), 80)
    assert out[0] == "samples: first 8 of 16"
    assert sum(line.count("class ") for line in out) == 8 and "class 8" not in " ".join(out)


def test_colours_are_decided_by_the_console_at_render_time(monkeypatch):
    assert colours_available(console(80, "truecolor")) and colours_available(console(80, "256"))
    assert not colours_available(console(80, "standard")) and not colours_available(console(80, None))
    picture = Picture(digit())
    for system in ("standard", None):
        assert not any("▀" in line for line in text(picture, system=system))
    assert any("▀" in line for line in text(picture, system="256"))
    monkeypatch.setenv("NO_COLOR", "1")
    no_colour = Console(width=80, force_terminal=True, color_system="truecolor")
    assert not colours_available(no_colour)
    with no_colour.capture() as captured:
        no_colour.print(picture)  # the same renderable, drawn again: decided now, not when built
    assert "▀" not in captured.get() and "@" in captured.get()
    # Textual keeps NO_COLOR from its console (and greys the screen): the environment still counts.
    assert not colours_available(console(80, "truecolor"))
    assert not any("▀" in line for line in text(picture, system="truecolor"))


def test_the_heatmap_writes_small_matrices_with_their_numbers_in_coloured_cells():
    confusion = np.array([[5, 0], [1, 9]])
    out = text(Heatmap(confusion, "confusion"))
    assert out[0] == "confusion" and out[2].split() == ["0", "5", "0"] and out[3].split() == ["1", "1", "9"]
    assert "values 0 … 9" in out[-1]
    row = cells(lines(Heatmap(confusion))[2])
    nine = [cell for cell in row if cell[0] == "9"][0]
    zero = [cell for cell in row if cell[0] == "1"][-1]
    assert nine[2] == (253, 231, 37) and nine[1] == BLACK  # the top of the map, in dark ink
    assert zero[2] != nine[2]
    plain = text(Heatmap(confusion), system=None)
    assert plain[0].split() == ["0", "1"] and plain[1].split() == ["0", "5", "0"]
    assert plain[-1] == "values 0 … 9"  # no colours to explain


def test_the_bool_mask_heatmap():
    mask = np.tril(np.ones((8, 8), dtype=bool))
    out = text(Heatmap(mask, "mask"))
    assert out[2].split() == ["0", "T", "F", "F", "F", "F", "F", "F", "F"]
    assert "True in 36 of 64" in out[-1] and "True yellow" in out[-1]
    big = np.tril(np.ones((40, 40), dtype=bool))
    rows = picture_rows(Heatmap(big))
    assert rows[0][0][1] == (253, 231, 37) and rows[0][-1][1] == (68, 1, 84)  # True yellow, False violet
    plain = text(Heatmap(big), system=None)
    assert plain[0].startswith(RAMP[-1]) and plain[0].endswith(RAMP[0])
    assert "True '@', False ' '" in plain[-1]


def test_a_large_or_too_wide_heatmap_becomes_a_picture():
    attention = np.random.default_rng(2).random((12, 12))
    assert any("0." in line for line in text(Heatmap(attention), 80))
    assert not any("▀" in line for line in text(Heatmap(attention), 80))
    narrow = text(Heatmap(attention), 40)  # 12 columns of " 0.12" do not fit in 40
    drawn = [line for line in narrow if "▀" in line]
    assert len(drawn) == 12 and all(len(line) == 24 for line in drawn)  # enlarged: 2 columns a value
    assert narrow[len(drawn)].startswith("values 0.00319 … 0.982")
    assert any("▀" in line for line in text(Heatmap(np.random.default_rng(3).random((30, 30))), 120))


def test_values_are_formatted_shortly():
    assert format_values(np.array([[1.0, 2.0]])) == [["1", "2"]]
    assert format_values(np.array([[0.123, 0.5]])) == [["0.12", "0.50"]]
    assert format_values(np.array([[1234.5, 2.0]])) == [["1.2e+03", "2.0e+00"]]
    assert format_values(np.array([[np.nan, 1.5]])) == [["nan", "1.50"]]


def test_the_scale_rules():
    assert scale_for(np.array([[0.0, 0.5]])) == Scale("grey", 0.0, 1.0)
    assert scale_for(np.array([[0.0, 200.0, 255.0]])) == Scale("grey", 0.0, 255.0)
    assert scale_for(np.array([[0.0, 3.5]])) == Scale("grey", 0.0, 3.5)
    assert scale_for(np.array([[-2.0, 1.0]])) == Scale("diverging", 0.0, 2.0)
    assert scale_for(np.array([[-2.0, 1.0]]), np.array([[3.0]])) == Scale("diverging", 0.0, 3.0)
    assert scale_for(np.full((4, 4, 3), -1.0), np.full((4, 4, 3), 2.0)) == Scale("rgb", -1.0, 2.0)


def test_resampling_averages_areas_and_enlarges_by_nearest_pixel():
    image = np.arange(16, dtype=float).reshape(4, 4)
    assert resample(image, 2, 2).tolist() == [[2.5, 4.5], [10.5, 12.5]]
    assert resample(np.array([[1.0, 2.0]]), 2, 4).tolist() == [[1, 1, 2, 2], [1, 1, 2, 2]]
    with_nan = image.copy()
    with_nan[0, 0] = np.nan
    assert np.isnan(resample(with_nan, 2, 2)[0, 0])  # a NaN in an area shows
    assert fitted_size(28, 28, 80) == (28, 28) and fitted_size(28, 28, 14) == (14, 14)
    assert fitted_size(28, 28, 80, max_rows=7) == (14, 14) and fitted_size(8, 8, 80) == (16, 16)


def test_difference_counts_equal_nan_and_inf_as_equal():
    want = np.array([[1.0, np.nan, np.inf, np.nan]])
    got = np.array([[1.5, np.nan, np.inf, 2.0]])
    diff = difference(want, got)
    assert diff[0, :3].tolist() == [0.5, 0.0, 0.0] and np.isnan(diff[0, 3])
    rgb = difference(np.zeros((1, 1, 3)), np.array([[[0.1, -0.7, 0.2]]]))
    assert rgb.tolist() == [[-0.7]]


def test_what_cannot_be_drawn_says_so():
    with pytest.raises(ValueError, match=r"cannot draw shape \(5,\)"):
        Picture(np.zeros(5))
    with pytest.raises(ValueError, match="yours of shape"):
        PictureComparison(np.zeros((8, 8)), np.zeros((2, 2, 2, 2, 2)))
    with pytest.raises(ValueError, match="non-empty 2-D"):
        Heatmap(np.zeros((2, 2, 2)))


def test_an_odd_height_leaves_the_last_lower_half_empty():
    image = np.ones((9, 16))
    rows = picture_rows(Picture(image))
    assert len(rows) == 5 and all(len(row) == 16 for row in rows)
    assert all(bg == WHITE for row in rows[:4] for _, _, bg in row)
    assert all(fg == WHITE and bg is None for _, fg, bg in rows[4])  # the terminal's own background


def test_the_drawing_figures_script_runs():
    from tutor.bench.drawing import drawing_figures, main

    figures = drawing_figures(runs=1)
    assert "mismatch_28x28_80col_truecolor" in figures and "curve_100k_points_80col" in figures
    assert all(figure["n"] >= 1 and figure["p50"] > 0 for figure in figures.values())  # measured, never judged
    assert main(["1"]) == 0
