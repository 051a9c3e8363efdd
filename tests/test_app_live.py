"""A run seen while it runs (issue 13): output appended as it comes, a tqdm loop's bar with its rate
and time left, a curve that grows against the reference's, ctrl+t at any moment, then the verdict.
Real worker, real key presses; the waits are for what the screen shows, never for a time."""

from __future__ import annotations

import time

from apptools import WAIT, FIXED_DEVICES, flat, results_text, settle, steady_cursor, wait_ready  # noqa: F401
from conftest import PACKS
from tutor.app.app import TutorApp
from tutor.app.live import LiveLog
from tutor.lessons import Catalog
from tutor.progress.store import ProgressStore
from tutor.sandbox.runspec import CurveEvent, OutputEvent, ProgressEvent
from tutor.session import SessionConfig

LIVE_PACK = PACKS / "live"

TICKING = '''import time
from tqdm import tqdm
total = torch.tensor(0)
for i in tqdm(range(2000), desc="steps"):
    print(f"tick {i}", flush=True)
    total = total + i
    time.sleep(0.02)
'''

SLOW_FIT = '''import time
w = torch.zeros(1, requires_grad=True)
optimizer = torch.optim.SGD([w], lr=0.02)
losses = []
for step in range(2000):
    optimizer.zero_grad()
    loss = ((x * w - y) ** 2).mean()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    time.sleep(0.02)
'''


def live_app(exercise: str, **kwargs) -> TutorApp:
    catalog = Catalog.load([LIVE_PACK])
    assert not catalog.errors, catalog.errors
    return TutorApp(catalog, ProgressStore(), SessionConfig(spare=False), start_at=catalog.exercise(exercise),
                    probe=lambda: FIXED_DEVICES, **kwargs)


async def until(pilot, condition, what: str) -> str:
    """Pause until `condition(results text)` holds while the run still runs; returns that text."""
    deadline = time.monotonic() + WAIT
    while True:
        text = results_text(pilot.app)
        if condition(text):
            return text
        assert pilot.app.main_screen.runs.running, f"the run ended before {what}:\n{text}"
        assert time.monotonic() < deadline, f"never saw {what}:\n{text}"
        await pilot.pause(0.05)


async def start(pilot, code: str) -> None:
    await wait_ready(pilot)
    pilot.app.main_screen.editor.load_text(code)
    await pilot.press("f5")


async def test_output_and_a_tqdm_bar_show_while_it_runs_and_ctrl_t_stops_it():
    app = live_app("live/stream", show_timings=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot, TICKING)
        text = await until(pilot, lambda text: "tick 5" in text and "/2000" in text, "output and a bar")
        assert "◌ Running on cpu" in text and "ctrl+t stops it" in text
        assert "output so far" in text
        bar = next(line for line in text.splitlines() if "/2000" in line)
        assert bar.lstrip().startswith("steps") and "/s" in bar and "left" in bar  # rate and time left
        assert "━" in bar  # the bar itself
        assert "Stopped" not in text and "Passed" not in text  # the output came before any verdict
        # The newest line is in view: the pane shows the tail, not the first lines.
        later = await until(pilot, lambda text: "tick 40" in text, "more output")
        assert not any(line.strip("│ ") == "tick 0" for line in later.splitlines())
        await pilot.press("ctrl+t")
        await settle(pilot)
        text = results_text(app)
        assert "■ Stopped" in text and "You stopped the run" in text
        assert "tick 40" in text  # the output so far is in the verdict's own panel


async def test_a_curve_grows_against_the_reference_while_it_runs():
    app = live_app("live/fit-a-line", show_timings=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot, SLOW_FIT)
        first = await until(pilot, lambda text: "yours (last" in text, "the learner's curve")
        assert "losses so far" in first and "reference (last 0.0116)" in flat(first)  # dotted from the start
        grown = await until(pilot, lambda text: "yours (last" in text and text != first, "the curve grow")
        assert "┤" in grown and "step" in grown
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert "■ Stopped" in results_text(app)


async def test_a_flood_of_output_leaves_the_keys_answered():
    flood = "total = torch.tensor(0)\nwhile True:\n    print('x' * 30)\n"
    app = live_app("live/stream", show_timings=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot, flood)
        await until(pilot, lambda text: "output so far (last" in text, "the flood")
        main = app.main_screen
        main.editor.focus()
        main.editor.move_cursor((0, 0))
        await pilot.press("#", " ", "o", "k")
        assert main.editor.text.startswith("# ok") and main.runs.running  # typed while the flood went on
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert "■ Stopped" in results_text(app)


# -- the log the run's thread fills, alone ----------------------------------------------------------

def test_the_log_tells_the_screen_once_per_repaint():
    log = LiveLog()
    assert log.hear(OutputEvent("stdout", "a\n")) is True
    assert log.hear(OutputEvent("stdout", "b\n")) is False  # already pending: no second message
    assert log.snapshot().output == "a\nb"
    assert log.hear(OutputEvent("stderr", "c\n")) is True


def test_carriage_returns_apply_across_chunks_and_control_characters_are_shown_not_obeyed():
    log = LiveLog()
    for chunk in ("loss 0.9", "\rloss 0.5", "\rlos", "s 0.1\n", "\x1b[2Jcleared?\n"):
        log.hear(OutputEvent("stdout", chunk))
    output = log.snapshot().output
    assert output.splitlines()[0] == "loss 0.1"
    assert "\x1b" not in output and "cleared?" in output


def test_a_progress_bar_and_a_curve_as_heard():
    log = LiveLog()
    log.hear(ProgressEvent("epoch", 3, 10, 1.5, 2.0))
    log.hear(ProgressEvent("epoch", 5, 10, 2.5, 2.0))
    log.hear(CurveEvent("losses", 0, (3.0, 2.0)))
    log.hear(CurveEvent("losses", 2, (1.0,)))
    log.hear(CurveEvent("losses", 1, (1.5, 0.5)))  # the list from index 1 on, as it is now
    view = log.snapshot()
    (bar,) = view.bars
    assert (bar.n, bar.total, bar.eta_s) == (5, 10, 2.5)
    (curve,) = view.curves
    assert curve.yours == (3.0, 1.5, 0.5) and curve.reference is None


def test_the_output_kept_is_a_bounded_tail():
    log = LiveLog()
    for index in range(20_000):
        log.hear(OutputEvent("stdout", f"line {index}\n"))
    output = log.snapshot().output
    assert len(output) <= 32_000 and output.endswith("line 19999") and output.startswith("line ")
