"""The curve check: a training loop's losses must fall; the learner's curve is kept for a plot, and
its points arrive while the loop runs."""

from __future__ import annotations

import pytest

from tutor.lessons import Catalog
from tutor.sandbox.runspec import CurveEvent
from tutor.session import Session, SessionConfig

from conftest import PACKS

LOOP = """
w = torch.zeros(1, requires_grad=True)
optimizer = torch.optim.SGD([w], lr={lr})
losses = []
for step in range(50):
    optimizer.zero_grad()
    loss = ((x * w - y) ** 2).mean()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
"""


@pytest.fixture(scope="module")
def session():
    catalog = Catalog.load([PACKS / "curves"])
    assert not catalog.errors, catalog.errors
    with Session(catalog, SessionConfig(spare=False)) as session:
        yield session


def check(session, code, **kwargs):
    return session.check(session.catalog.exercise("curves/fit-a-line"), code, record=False, **kwargs)


def curve_result(verdict):
    return next(result for result in verdict.checks if result.kind == "curve")


def test_a_falling_loss_passes_and_keeps_both_curves_for_the_plot(session):
    verdict = check(session, LOOP.format(lr=0.1))
    assert verdict.passed, verdict
    plot = curve_result(verdict).curve
    assert len(plot.yours) == len(plot.reference) == 50 and plot.yours[-1] < plot.yours[0]


def test_a_stuck_loss_says_what_a_stuck_loss_usually_means(session):
    result = curve_result(check(session, LOOP.format(lr=0.0)))
    assert not result.passed
    assert "did not fall" in result.message and "zero_grad" in result.message and "learning rate" in result.message
    assert result.curve is not None and len(result.curve.yours) == 50


def test_a_diverging_loss_is_named(session):
    result = curve_result(check(session, LOOP.format(lr=10.0)))
    assert not result.passed and ("diverged" in result.message or "did not fall" in result.message)


def test_a_curve_that_is_not_a_list_of_numbers(session):
    result = curve_result(check(session, LOOP.format(lr=0.1) + "losses = torch.tensor(losses).reshape(5, 10)\n"))
    assert not result.passed and "list of numbers" in result.message


def test_points_arrive_while_the_loop_runs(session):
    events = []
    slow = LOOP.format(lr=0.1).replace("    losses.append", "    import time; time.sleep(0.01)\n    losses.append")
    verdict = check(session, slow, on_event=events.append)
    assert verdict.passed
    points = [event for event in events if isinstance(event, CurveEvent) and event.name == "losses"]
    assert len(points) >= 2, "the curve came in one piece, not while the loop ran"
    received = [value for event in sorted(points, key=lambda e: e.start) for value in event.values]
    assert len(received) == 50 and received == pytest.approx(curve_result(verdict).curve.yours)
