"""A run is heard while it runs: its output as it prints, and the progress of its loops (tqdm or the
`progress` helper), before the verdict; a stop still stops it at once."""

from __future__ import annotations

import threading
import time

import pytest

from tutor.lessons import Catalog
from tutor.sandbox.runspec import OutputEvent, ProgressEvent
from tutor.session import Session, SessionConfig

from conftest import FAULTS


@pytest.fixture(scope="module")
def session():
    with Session(Catalog.load([FAULTS]), SessionConfig(spare=True)) as session:
        session.reference(session.catalog.exercise("faults/double"))
        yield session


def run(session, code, **kwargs):
    exercise = session.catalog.exercise("faults/double")
    return session.check(exercise, code, record=False, **kwargs)


class Heard:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.events: list[tuple[float, object]] = []

    def __call__(self, event) -> None:
        self.events.append((time.monotonic() - self.started, event))

    def of(self, kind):
        return [(at, event) for at, event in self.events if isinstance(event, kind)]


def test_output_arrives_while_the_code_runs_and_all_of_it_before_the_verdict(session):
    heard = Heard()
    code = "import time\nfor i in range(6):\n    print('line', i, flush=True)\n    time.sleep(0.05)\ny = x * 2\n"
    verdict = run(session, code, on_event=heard)
    assert verdict.passed
    chunks = heard.of(OutputEvent)
    assert "".join(event.text for _, event in chunks if event.stream == "stdout") == verdict.stdout
    assert len(chunks) >= 2 and "line 5" not in chunks[0][1].text, "the first lines came only at the end"


def test_tqdm_shows_progress_and_draws_nothing_on_the_pane(session):
    heard = Heard()
    code = ("from tqdm import tqdm, trange\nimport time\n"
            "for i in tqdm(range(10), desc='epoch'):\n    time.sleep(0.02)\n"
            "for i in trange(3):\n    pass\ny = x * 2\n")
    verdict = run(session, code, on_event=heard)
    assert verdict.passed and verdict.stderr == ""  # tqdm's bar and its carriage returns are not output
    progress = [event for _, event in heard.of(ProgressEvent) if event.label == "epoch"]
    assert progress and progress[-1].done and progress[-1].n == progress[-1].total == 10
    assert any(not event.done for event in progress)


def test_the_progress_helper_needs_no_import(session):
    heard = Heard()
    verdict = run(session, "for i in progress(range(4), desc='steps'):\n    pass\ny = x * 2\n", on_event=heard)
    assert verdict.passed
    final = [event for _, event in heard.of(ProgressEvent) if event.done][-1]
    assert (final.label, final.n, final.total) == ("steps", 4, 4)


def test_a_stop_mid_stream_stops_the_run(session):
    heard, token = Heard(), threading.Event()
    code = "import time\nfor i in progress(range(1000)):\n    print(i, flush=True)\n    time.sleep(0.01)\ny = x * 2\n"
    threading.Timer(0.4, token.set).start()
    started = time.monotonic()
    verdict = run(session, code, on_event=heard, cancel=token)
    assert verdict.status == "stopped" and time.monotonic() - started < 2.0
    assert heard.of(OutputEvent) and heard.of(ProgressEvent)


def test_check_draws_a_progress_bar_on_a_terminal_and_nothing_otherwise():
    import io

    from rich.console import Console

    from tutor.cli.live import live_run

    from tutor.cli.live import LiveRun

    terminal = Console(file=io.StringIO(), force_terminal=True, width=80)
    live = LiveRun(terminal)
    for n in range(0, 11, 5):
        live.hear(ProgressEvent("epochs", n, 10, n * 0.1, 10.0, done=n == 10))
    live.hear(ProgressEvent("\x1b]0;owned\x07", 1, None, 0.1, None))
    (epochs, other) = live.progress.tasks
    assert (epochs.description, epochs.completed, epochs.total) == ("epochs", 10, 10)
    assert "\x1b" not in other.description  # a label is learner text: shown, never obeyed
    with live_run(terminal, enabled=True) as listener:
        assert listener is not None
    piped = Console(file=io.StringIO(), force_terminal=False, width=80)
    with live_run(piped, enabled=True) as listener:
        assert listener is None
    with live_run(terminal, enabled=False) as listener:  # --json
        assert listener is None
