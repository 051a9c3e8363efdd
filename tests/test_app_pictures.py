"""What a verdict draws in the results pane (issue 13), sized to the pane: an image mismatch as
pictures (expected, yours, the difference) at 80x24 and 120x40, with colours and with NO_COLOR, a
confusion matrix as heatmaps, a curve check passing and failing; and the exercise pane's
```python show blocks drawn in place. Snapshots compared with approved SVGs
(`pytest --snapshot-update` approves new ones), plus what the pane's lines hold in each colour mode.
"""

from __future__ import annotations

import pytest

from apptools import flat, results_text, run_check, settle, steady_cursor, wait_ready  # noqa: F401
from test_app_live import live_app

WRONG_DIGIT = "image = torch.zeros(28, 28)\nimage[12:16, 4:24] = 1.0\n"  # the bar lies down
WRONG_CONFUSION = "cm = torch.bincount(preds * 10 + labels, minlength=100).view(10, 10)\n"  # transposed
FIT = '''w = torch.zeros(1, requires_grad=True)
optimizer = torch.optim.SGD([w], lr=LR)
losses = []
for step in range(50):
    optimizer.zero_grad()
    loss = ((x * w - y) ** 2).mean()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
'''


def answer(code: str, scroll_to: str | None = None):
    """Type `code`, run the check, and scroll the results to the line holding `scroll_to`."""
    async def run_before(pilot):
        await wait_ready(pilot)
        pilot.app.main_screen.editor.load_text(code)
        await run_check(pilot)
        if scroll_to is not None:
            results = pilot.app.main_screen.results
            line = next(index for index, text in enumerate(results.text.splitlines()) if scroll_to in text)
            results.scroll_to(y=line, animate=False, immediate=True)
        await settle(pilot)
    return run_before


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_an_image_mismatch(snap_compare, size):
    app = live_app("live/digit", show_timings=False)
    assert snap_compare(app, terminal_size=size, run_before=answer(WRONG_DIGIT, "image: expected, yours and the"))


def test_an_image_mismatch_without_colour(snap_compare, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = live_app("live/digit", show_timings=False)
    assert snap_compare(app, terminal_size=(80, 24), run_before=answer(WRONG_DIGIT, "image: expected, yours and the"))


def test_a_confusion_matrix_as_heatmaps(snap_compare):
    app = live_app("live/confusion", show_timings=False)
    assert snap_compare(app, terminal_size=(120, 40), run_before=answer(WRONG_CONFUSION, "cm: expected"))


@pytest.mark.parametrize("lr", ["0.1", "0.0"], ids=["passing", "failing"])
def test_a_curve_check(snap_compare, lr):
    app = live_app("live/fit-a-line", show_timings=False)
    assert snap_compare(app, terminal_size=(80, 24), run_before=answer(FIT.replace("LR", lr), "losses: yours"))


# -- the pane's lines in each colour mode ------------------------------------------------------------

def picture_rows(app) -> list:
    """The results pane's lines drawn with half blocks (a picture in colour)."""
    return [strip for strip in app.main_screen.results._lines if "▀" in strip.text]


@pytest.mark.parametrize("size, height", [((80, 24), 10), ((120, 40), 13)], ids=["80x24", "120x40"])
async def test_the_pictures_fit_the_pane(size, height):
    app = live_app("live/digit", show_timings=False)
    async with app.run_test(size=size) as pilot:
        await answer(WRONG_DIGIT)(pilot)
        results = app.main_screen.results
        assert results.picture_height == height
        rows = picture_rows(app)
        assert 0 < len(rows) <= height
        assert all(strip.cell_length <= results.content_width for strip in results._lines)
        assert any(segment.style and segment.style.bgcolor for strip in rows for segment in strip)  # in colour
        text = flat(results_text(app))
        assert "expected, yours: values 0 … 1" in text and "difference (yours - expected)" in text


async def test_no_color_draws_pictures_as_characters(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = live_app("live/digit", show_timings=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await answer(WRONG_DIGIT)(pilot)
        assert not picture_rows(app)
        text = results_text(app)
        assert "*@" in text and "'@' 1" in flat(text)  # the bar, bright, in the plain ramp, and its legend
        assert "expected, yours: values 0 … 1" in flat(text)


async def test_sixteen_colours_draw_pictures_as_characters(monkeypatch):
    import textual.constants

    monkeypatch.setattr(textual.constants, "COLOR_SYSTEM", "standard")
    app = live_app("live/digit", show_timings=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await answer(WRONG_DIGIT)(pilot)
        assert not picture_rows(app) and "'@' 1" in flat(results_text(app))


# -- ```python show blocks in the exercise pane ------------------------------------------------------

async def test_show_blocks_are_drawn_in_place_in_the_exercise_pane():
    app = live_app("live/digit", show_timings=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await settle(pilot)
        pane = app.main_screen.explanation
        lines = pane.text.splitlines()
        code_end = next(index for index, line in enumerate(lines) if '"other corner")]' in line)
        labels = next(index for index, line in enumerate(lines) if line.split() == ["corner", "other", "corner"])
        heatmap = next(index for index, line in enumerate(lines) if line.split() == ["0", "3", "-1", "-1", "-1", "-1"])
        after = next(index for index, line in enumerate(lines) if "Text after the pictures." in line)
        assert code_end < labels < heatmap < after  # each drawing under its own block, the text after them
        assert sum("▀" in line for line in lines[labels:heatmap]) >= 6  # the two pictures, in colour
        assert "values -1 … 3" in flat(pane.text)
        # Once per lesson: the next exercise of the same lesson draws them at once, from the cache.
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert "live/confusion" in pane.text and "values -1 … 3" in flat(pane.text)
        assert app.main_screen.shows._asked == {"live"}
