"""Each exercise is checked on several inputs: an answer typed in from the example is caught."""

from __future__ import annotations

import pytest

from tutor.lessons import Catalog
from tutor.session import Session, SessionConfig

from conftest import PACKS

HARD_CODED = "import torch\nh_grad = torch.tensor([6.0, -6.0, 14.0])\n"


@pytest.fixture(scope="module")
def session():
    catalog = Catalog.load([PACKS / "variants"])
    assert not catalog.errors, catalog.errors
    with Session(catalog, SessionConfig(spare=False)) as session:
        yield session


def check(session, exercise_id, code):
    return session.check(session.catalog.exercise(exercise_id), code, record=False)


def test_a_hard_coded_answer_passes_with_one_variant_and_fails_with_the_default(session):
    assert session.catalog.exercise("variants/square-grad").variants == 3  # the default
    assert check(session, "variants/square-grad-one-input", HARD_CODED).passed
    verdict = check(session, "variants/square-grad", HARD_CODED)
    assert verdict.status == "failed"
    message = verdict.checks[0].message
    assert message.startswith("With another input than the example (test 2 of 3: x = tensor([")
    assert "requires_grad" in message  # the input is shown as it is
    assert verdict.checks[0].mismatch is not None and "(test 2 of 3)" in verdict.checks[0].mismatch.caption


def test_the_right_answer_passes_every_variant(session):
    code = "(x ** 2).sum().backward()\nh_grad = x.grad\n"
    assert check(session, "variants/square-grad", code).passed
    assert check(session, "variants/square-grad", "h_grad = 2 * x.detach()\n").passed


def test_only_the_example_prints(session):
    verdict = check(session, "variants/square-grad", "print('x is', x.tolist())\n(x ** 2).sum().backward()\nh_grad = x.grad\n")
    assert verdict.passed and verdict.stdout == "x is [3.0, -3.0, 7.0]\n"


def test_an_error_on_another_input_says_which_and_with_what(session):
    verdict = check(session, "variants/first-element", "first = x[0]\n")
    assert verdict.status == "error"
    assert "IndexError" in verdict.summary
    assert "with another input than the example (test 3: x = tensor([]))" in verdict.summary


def test_the_learner_code_does_not_see_the_variant(session):
    verdict = check(session, "variants/square-grad", "print('variant' in globals())\n(x ** 2).sum().backward()\nh_grad = x.grad\n")
    assert verdict.stdout == "False\n"


def test_a_variants_inputs_read_as_torch_writes_them_in_four_digits():
    torch = pytest.importorskip("torch")
    from tutor.sandbox.worker.probing import small_tensor_text

    assert small_tensor_text(torch.tensor([0.41, -1.2, 0.07])) == "tensor([0.41, -1.2, 0.07])"
    assert small_tensor_text(torch.arange(3.0)) == "tensor([0., 1., 2.])"  # floats stay floats
    assert small_tensor_text(torch.tensor([[1, 2]])) == "tensor([[1, 2]])"
    assert small_tensor_text(torch.tensor(3.0)) == "tensor(3.)"
    assert small_tensor_text(torch.tensor([1.5, float("nan")], dtype=torch.float64)) == \
        "tensor([1.5, nan], dtype=torch.float64)"
    assert len(small_tensor_text(torch.full((24,), 1 / 3), limit=40)) == 40
