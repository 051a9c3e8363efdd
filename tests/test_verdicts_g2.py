"""Issue 11, lessons 05-08: each exercise named there holds its new verdicts. A wrong answer the
old checks accepted now fails, and a right answer they refused now passes, through a real Session
on the built-in pack (a real worker, real torch)."""

from __future__ import annotations

import pytest

from lessontools import check, session  # noqa: F401 - session is a fixture


def failed_checks(verdict) -> dict[str, str]:
    return {check.name: check.message for check in verdict.checks if not check.passed}


# reshaping/cat-vs-stack: the reference's values typed in used to pass.
CAT_VS_STACK_TYPED = """
import torch
wide = torch.tensor([[0., 1., 2., 0., 1., 2.]])
tall = torch.tensor([[0., 1., 2.], [0., 1., 2.]])
pairs = torch.tensor([[0., 0.], [1., 10.], [2., 20.]])
"""


def test_cat_vs_stack_refuses_the_typed_in_answer(session):
    verdict = check(session, "reshaping/cat-vs-stack", CAT_VS_STACK_TYPED)
    assert verdict.status == "failed"
    assert set(failed_checks(verdict)) == {"wide", "tall", "pairs"}
    assert failed_checks(verdict)["wide"].startswith("With another input than the example (test 2 of 3: row = tensor(")


def test_cat_vs_stack_accepts_other_idioms(session):
    code = "import torch\nwide = torch.hstack((row, row))\ntall = torch.vstack((row, row))\npairs = torch.column_stack((tri, tri * 10))\n"
    assert check(session, "reshaping/cat-vs-stack", code).passed


# conditions/where-choose: the typed-in answer, with both required forms in dead code, used to pass.
WHERE_CHOOSE_TYPED = """
import torch
cleaned = torch.tensor([3.5, 4.5, 12.0, 7.25, 6.5, 10.0])
capped = torch.tensor([3.5, -1.0, 10.0, 7.25, -1.0, 10.0])
valid = torch.tensor([1, 0, 1, 1, 0, 1])
if False:
    torch.where
    readings.where
"""


def test_where_choose_refuses_the_typed_in_answer(session):
    verdict = check(session, "conditions/where-choose", WHERE_CHOOSE_TYPED)
    assert verdict.status == "failed"
    assert {"cleaned", "capped", "valid"} <= set(failed_checks(verdict))


def test_where_choose_accepts_the_mirrored_conditions(session):
    code = ("import torch\ncleaned = torch.where(readings < 0, backup, readings)\n"
            "capped = readings.where(~(readings > 10), torch.tensor(10.0))\nvalid = (readings >= 0).long()\n")
    assert check(session, "conditions/where-choose", code).passed


# numpy-bridge/as-tensor-copies: a `shared` that is a copy, made after the write, used to pass.
AS_TENSOR_SHARED_IS_A_COPY = """
import torch
data[0] = 100.0
shared = torch.tensor(data)
data[0] = 0.0
single = torch.as_tensor(data, dtype=torch.float32)
own = torch.tensor(data)
data[0] = 100.0
sees_write = [True, False, False]
"""
AS_TENSOR_RIGHT = """
import torch
shared = torch.as_tensor(data)
single = torch.as_tensor(data, dtype=torch.float32)
own = torch.tensor(data)
data[0] = 100.0
sees_write = [bool(x[0] == 100.0) for x in (shared, single, own)]
"""


def test_as_tensor_copies_refuses_a_shared_that_is_a_copy(session):
    verdict = check(session, "numpy-bridge/as-tensor-copies", AS_TENSOR_SHARED_IS_A_COPY)
    assert verdict.status == "failed"
    messages = failed_checks(verdict)
    assert any("`shared` must share memory with `data`" in message for message in messages.values())


def test_as_tensor_copies_refuses_a_recalled_sees_write(session):
    recalled = AS_TENSOR_RIGHT.replace("[bool(x[0] == 100.0) for x in (shared, single, own)]", "[True, False, False]")
    verdict = check(session, "numpy-bridge/as-tensor-copies", recalled)
    assert verdict.status == "failed"
    assert set(failed_checks(verdict)) == {"sees_write"}  # a float32 array: as_tensor shares there too


def test_as_tensor_copies_accepts_the_right_answer(session):
    assert check(session, "numpy-bridge/as-tensor-copies", AS_TENSOR_RIGHT).passed


# numpy-bridge/pitfall-detach-first: `.numpy(force=True)`, which the lesson calls equivalent, used
# to be refused; the chain without `.cpu()` must still fail, on a machine without a GPU too.
def test_detach_first_accepts_numpy_force(session):
    code = "w_np = w.numpy(force=True)\nscaled_np = (w * 10).numpy(force=True)\n"
    assert check(session, "numpy-bridge/pitfall-detach-first", code).passed


@pytest.mark.parametrize("code", [
    "w_np = w.detach().cpu().numpy()\nscaled_np = (w * 10).detach().cpu().numpy()\n",
    "w_np = w.cpu().detach().numpy()\nscaled_np = (w.detach() * 10).to('cpu').numpy()\n",
])
def test_detach_first_accepts_the_chain(session, code):
    assert check(session, "numpy-bridge/pitfall-detach-first", code).passed


@pytest.mark.parametrize("code", [
    "w_np = w.detach().numpy()\nscaled_np = (w * 10).detach().numpy()\n",
    "import numpy as np\nw_np = np.asarray(w.detach())\nscaled_np = np.asarray((w * 10).detach())\n",
])
def test_detach_first_refuses_a_chain_without_cpu(session, code):
    verdict = check(session, "numpy-bridge/pitfall-detach-first", code)
    assert verdict.status == "error"
    assert verdict.error is not None and verdict.error.type == "TypeError"
    assert "Use Tensor.cpu()" in verdict.error.message
    assert "with another input than the example (test 2" in verdict.summary


# arithmetic/mm-needs-matrices: torch.mm on two matrices is what mm is for; it used to be banned.
def test_mm_needs_matrices_accepts_mm_on_matrices(session):
    code = "import torch\ninner = a @ b\nproduct = torch.mm(A, B)\napplied = torch.mv(A, a)\nbatched = torch.matmul(stack, B)\n"
    assert check(session, "arithmetic/mm-needs-matrices", code).passed


# arithmetic/broadcast-shape asks for a tuple; a list used to pass.
def test_broadcast_shape_refuses_a_list(session):
    code = """
def broadcast_shape(s1, s2):
    n = max(len(s1), len(s2))
    a = [1] * (n - len(s1)) + list(s1)
    b = [1] * (n - len(s2)) + list(s2)
    out = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            return None
        out.append(y if x == 1 else x)
    return out
"""
    verdict = check(session, "arithmetic/broadcast-shape", code)
    assert verdict.status == "failed"
    assert "should return a tuple" in " ".join(failed_checks(verdict).values())
    assert check(session, "arithmetic/broadcast-shape", code.replace("return out", "return tuple(out)")).passed


# arithmetic/broadcast-error: on a square class `marks + bonus` runs and adds per test.
def test_broadcast_error_catches_the_silent_square_case(session):
    code = "adjusted = (marks.T + bonus).T\npct = adjusted / adjusted.max(dim=1, keepdim=True).values\n"
    assert check(session, "arithmetic/broadcast-error", code).passed
    transposed_wrong = "adjusted = marks + bonus if marks.shape[0] == marks.shape[1] else marks + bonus[:, None]\n" \
                       "pct = adjusted / adjusted.max(dim=1, keepdim=True).values\n"
    verdict = check(session, "arithmetic/broadcast-error", transposed_wrong)
    assert verdict.status == "failed" and "adjusted" in failed_checks(verdict)


# arithmetic/mixing-dtypes (new): uint8 wraps around, @ does not promote.
MIXING_RIGHT = """
import torch
brightened = pixels.clamp(max=245) + 10
mean_px = pixels.sum() / pixels.numel()
share = counts / counts.sum(dim=1, keepdim=True)
scores = (counts * weights).sum(dim=1)
"""


def test_mixing_dtypes_accepts_other_right_answers(session):
    assert check(session, "arithmetic/mixing-dtypes", MIXING_RIGHT).passed


def test_mixing_dtypes_refuses_wrap_around(session):
    wrapped = MIXING_RIGHT.replace("pixels.clamp(max=245) + 10", "(pixels + 10).clamp(max=255)")
    verdict = check(session, "arithmetic/mixing-dtypes", wrapped)
    assert verdict.status == "failed"
    assert "wraps around" in failed_checks(verdict)["brightened"]


def test_mixing_dtypes_refuses_integer_weights(session):
    truncated = MIXING_RIGHT.replace("(counts * weights).sum(dim=1)", "counts @ weights.long()")
    verdict = check(session, "arithmetic/mixing-dtypes", truncated)
    assert set(failed_checks(verdict)) == {"scores"}


# arithmetic/inner-products (new): torch.inner is x @ y.T, not x @ y.
def test_inner_products(session):
    right = "import torch\nsims = queries.inner(keys)\nsims_mm = queries @ keys.mT\ndoc_sims = docs @ keys.T\n"
    assert check(session, "arithmetic/inner-products", right).passed
    verdict = check(session, "arithmetic/inner-products", right.replace("docs @ keys.T", "torch.inner(keys, docs)"))
    assert set(failed_checks(verdict)) == {"doc_sims"}
