"""Lint's attacks: answers that must fail are built right, and lint reports the ones that pass."""

from __future__ import annotations

import numpy as np
import pytest

from tutor.lessons import Catalog
from tutor.lessons.model import Exercise, StaticCheck, TensorCheck
from tutor.linting import lint_exercise
from tutor.linting.attacks import hard_coded_answer, mutants, placeholder_fills
from tutor.linting.literals import NotLiteral, literal
from tutor.sandbox.values import Opaque, Special, TensorValue
from tutor.session import Session, SessionConfig

from conftest import PACKS


def tensor(values, dtype="float32", **fields) -> TensorValue:
    array = np.array(values, dtype=np.float32 if dtype == "float32" else dtype)
    return TensorValue("tensor", dtype, array.shape, array=array, **fields)


def test_literals_rebuild_the_value_exactly():
    import torch

    namespace = {"torch": torch, "np": np, "device": torch.device("cpu")}
    value = tensor([[0.1, float("nan")], [float("-inf"), 3.0]], requires_grad=True)
    rebuilt = eval(literal(value), namespace)
    assert rebuilt.dtype == torch.float32 and rebuilt.requires_grad and rebuilt.is_leaf
    assert torch.equal(rebuilt.nan_to_num(), torch.tensor([[0.1, 0.0], [float("-inf"), 3.0]]).nan_to_num())
    assert eval(literal(tensor(np.zeros((0, 3)))), namespace).shape == (0, 3)
    assert eval(literal((1, 2.5, True, None, "a")), namespace) == (1, 2.5, True, None, "a")
    assert eval(literal(Special("size", (2, 3))), namespace) == torch.Size([2, 3])
    assert eval(literal(Special("dtype", "int64")), namespace) is torch.int64
    with pytest.raises(NotLiteral):
        literal(Opaque("Linear", "Linear(in_features=2)"))


def test_the_hard_coded_answer_mentions_required_names_in_dead_code():
    exercise = Exercise("e", "l", "t", "", "y = ...\n", "y = x.sum()\n",
                        checks=(TensorCheck("y"), StaticCheck("require", ("sum", "torch.where"))))
    code = hard_coded_answer(exercise, {"y": tensor(6.0)})
    assert "y = torch.tensor(6.0, dtype=torch.float32)" in code
    assert "if False:" in code and "    sum\n" in code and "    torch.where\n" in code
    compile(code, "<hard-coded>", "exec")
    with pytest.raises(NotLiteral):
        hard_coded_answer(exercise, {"model.fc.weight": tensor([1.0])})


def test_mutants_delete_one_step_at_a_time_and_spare_optional_lines():
    solution = ("import torch\n"
                "total = 0\n"
                "for i in range(3):\n"
                "    total += i\n"
                "print(total)  # lint: optional (only shows the result)\n"
                "def f(x):\n"
                "    return x * 2\n")
    found, optional = mutants(solution)
    assert optional == [(5, "only shows the result")]
    deleted = {mutant.statement for mutant in found}
    assert deleted == {"total = 0", "for i in range(3):", "total += i", "def f(x):", "return x * 2"}
    for mutant in found:
        compile(mutant.code, "<mutant>", "exec")  # a block left empty gets a `pass`
    assert "    pass\n" in next(m.code for m in found if m.statement == "total += i")


def test_the_placeholder_is_filled_with_none_zero_and_zeros_like_the_reference():
    exercise = Exercise("e", "l", "t", "", "import torch\ny = ...  # TODO\n", "y = x * 2\n",
                        checks=(TensorCheck("y"),))
    fills = dict(placeholder_fills(exercise, {"y": tensor([[1.0, 2.0]])}))
    assert fills["None"].endswith("y = None  # TODO\n") and fills["0"].endswith("y = 0  # TODO\n")
    assert "y = torch.zeros((1, 2), dtype=torch.float32)" in fills["zeros like the reference"]


@pytest.fixture(scope="module")
def session():
    catalog = Catalog.load([PACKS / "attacks"])
    assert not catalog.errors, catalog.errors
    with Session(catalog, SessionConfig(spare=False)) as session:
        yield session


def test_lint_reports_a_hard_coded_answer_that_passes(session):
    report = lint_exercise(session, session.catalog.exercise("attacks/fixed-input"))
    assert report.hard_coded == "accepted"
    assert any("a hard-coded answer passes" in problem for problem in report.problems)


def test_lint_reports_a_step_that_can_be_skipped(session):
    report = lint_exercise(session, session.catalog.exercise("attacks/skippable-step"))
    assert report.hard_coded == "refused"
    assert any("still passes without its line 2 (`unused = y.mean()`)" in problem for problem in report.problems)
    assert (report.mutants_killed, report.mutants_total) == (1, 2)


def test_a_well_made_exercise_survives_every_attack(session):
    report = lint_exercise(session, session.catalog.exercise("attacks/well-made"))
    assert report.ok, report.problems
    assert report.hard_coded == "refused" and report.mutants_killed == report.mutants_total == 2


def test_a_prediction_is_exempt_from_the_hard_coded_attack_only(session):
    report = lint_exercise(session, session.catalog.exercise("attacks/prediction"))
    assert report.hard_coded == "prediction" and report.ok, report.problems
