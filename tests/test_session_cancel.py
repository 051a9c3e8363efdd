"""Stopping a run: per-run cancel tokens, and a new run never un-cancels the one it replaces."""

import threading
import time

import pytest

from tutor.lessons import Catalog
from tutor.session import Session, SessionConfig

from conftest import FAULTS

HANG = "while True:\n    pass\n"
CORRECT = "y = x * 2"


@pytest.fixture(scope="module")
def session():
    catalog = Catalog.load([FAULTS])
    with Session(catalog, SessionConfig(spare=True)) as session:
        session.ready()
        session.reference(session.catalog.exercise("faults/double"))
        yield session


def start_hang(session, token=None):
    """Start a hanging run in a thread; return (thread, results list)."""
    results = []
    thread = threading.Thread(target=lambda: results.append(
        session.check(session.catalog.exercise("faults/double"), HANG, record=False, cancel=token)))
    thread.start()
    deadline = time.monotonic() + 30
    while not session._running and time.monotonic() < deadline:  # the run has registered its token
        time.sleep(0.005)
    assert session._running, "the run never started"
    return thread, results


def test_a_per_run_token_stops_only_that_run(session):
    token = threading.Event()
    thread, results = start_hang(session, token)
    token.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert results[0].status == "stopped"


def test_cancel_then_a_new_run_at_once_stops_the_old_and_runs_the_new(session):
    thread, results = start_hang(session)
    session.cancel()
    # Before per-run tokens, this check cleared the shared event: the hang was never cancelled and
    # ended as a timeout. (No timing asserted: recovery speed belongs to the fault tests.)
    verdict = session.check(session.catalog.exercise("faults/double"), CORRECT, record=False)
    thread.join(timeout=30)
    assert results[0].status == "stopped"
    assert verdict.status == "passed"
