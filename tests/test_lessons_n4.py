"""Lessons 23 (fast-and-lean) and 24 (tensor-puzzles): what their exercises rely on beyond lint.

`ptref-tutor lint` proves each exercise (solution passes, starter and attacks fail); these tests
hold the verdicts a learner's typical answers get, and the pieces of the engine the puzzles need.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tutor.sandbox.values import decode
from tutor.sandbox.worker.encode import Encoder


@pytest.mark.parametrize("value", [
    torch.zeros(1, 0), torch.zeros(0, 3, dtype=torch.int64), torch.zeros(2, 0, 4, dtype=torch.bfloat16),
    torch.randn(1)[:, None] * torch.randn(0)[None, :], np.zeros((0, 3), dtype=np.float32),
])
def test_empty_multidimensional_values_cross_the_wire(value):
    # Puzzles return (1, 0) and (0, 0) results; memoryview refused to cast their bytes.
    encoder = Encoder()
    node = encoder.encode(value)
    decoded = decode(node, [bytearray(buffer) for buffer in encoder.buffers])
    assert tuple(decoded.shape) == tuple(value.shape)
    assert decoded.array.size == 0


# --- through a real Session and real torch -------------------------------------------------------

from tutor.lessons import Catalog  # noqa: E402
from tutor.paths import builtin_lessons_dir  # noqa: E402
from tutor.session import Session, SessionConfig  # noqa: E402

from lessontools import check, session  # noqa: E402,F401 - session is a fixture


def failing_messages(verdict) -> str:
    return "\n".join(c.message for c in verdict.checks if not c.passed)


# --- tensor-puzzles: the edges, the ties and the pairs --------------------------------------------

def test_outer_product_of_an_empty_vector_is_an_empty_table(session):
    # The (1, 0) result once broke the wire; the transposed table must still be refused.
    assert check(session, "tensor-puzzles/outer-product",
                 "def outer_product(a, b):\n    return a.unsqueeze(1) * b.unsqueeze(0)\n").passed
    verdict = check(session, "tensor-puzzles/outer-product",
                    "def outer_product(a, b):\n    return a[None, :] * b[:, None]\n")
    assert verdict.status == "failed" and "should have shape (1, 0)" in failing_messages(verdict)


def test_main_diagonal_refuses_a_square_block_and_accepts_index_pairs(session):
    block = "import torch\ndef main_diagonal(a):\n    i = torch.arange(min(a.shape))\n    return a[i][:, i]\n"
    verdict = check(session, "tensor-puzzles/main-diagonal", block)
    assert verdict.status == "failed" and "picks a square block" in failing_messages(verdict)
    pairs = "import torch\ndef main_diagonal(a):\n    n = min(a.shape[0], a.shape[1])\n    return a[torch.arange(n), torch.arange(n)]\n"
    assert check(session, "tensor-puzzles/main-diagonal", pairs).passed


def test_argmax_onehot_refuses_every_tied_maximum(session):
    code = ("import torch\ndef argmax_onehot(a):\n"
            "    return torch.where((a[:, :, None] >= a[:, None, :]).all(dim=2), 1, 0)\n")
    verdict = check(session, "tensor-puzzles/argmax-onehot", code)
    assert verdict.status == "failed" and "the first of the largest wins" in failing_messages(verdict)


def test_argmax_onehot_refuses_the_shortcut_by_name(session):
    code = "import torch.nn.functional as F\ndef argmax_onehot(a):\n    return F.one_hot(a.argmax(dim=1), a.shape[1])\n"
    verdict = check(session, "tensor-puzzles/argmax-onehot", code)
    assert verdict.status == "failed"
    assert "`argmax` (line 3)" in failing_messages(verdict) and "`one_hot` (line 3)" in failing_messages(verdict)


def test_broadcast_loss_refuses_the_n_by_n_table_and_accepts_view_as(session):
    starter = session.catalog.exercise("tensor-puzzles/pitfall-broadcast-loss").starter
    verdict = check(session, "tensor-puzzles/pitfall-broadcast-loss", starter.replace("# TODO", "#"))
    assert verdict.status == "failed" and "(n, n) table" in failing_messages(verdict)
    code = ("import torch.nn.functional as F\ndef mse(pred, target):\n"
            "    return F.mse_loss(pred.view_as(target), target)\n")
    assert check(session, "tensor-puzzles/pitfall-broadcast-loss", code).passed


def test_repeat_each_refuses_a_max_that_fails_on_no_counts(session):
    code = ("import torch\ndef repeat_each(a, r):\n    width = int(r.max())\n"
            "    keep = torch.arange(width, device=a.device)[None, :] < r[:, None]\n"
            "    return a[:, None].expand(-1, width)[keep]\n")
    verdict = check(session, "tensor-puzzles/repeat-each", code)
    assert verdict.status == "failed" and "raised RuntimeError: max()" in failing_messages(verdict)
    assert check(session, "tensor-puzzles/repeat-each",
                 code.replace("int(r.max())", "int(r.max()) if len(r) else 0")).passed


# --- fast-and-lean ------------------------------------------------------------------------------

def test_pick_accelerator_refuses_the_build_answer_and_cuda_only_code(session):
    starter = session.catalog.exercise("fast-and-lean/pick-accelerator").starter
    verdict = check(session, "fast-and-lean/pick-accelerator", starter.replace("# TODO", "#"))
    assert verdict.status == "failed" and "pick_device_on('cuda', False)" in failing_messages(verdict)
    cuda_only = 'import torch\ndef pick_device():\n    return torch.device("cuda" if torch.cuda.is_available() else "cpu")\n'
    verdict = check(session, "fast-and-lean/pick-accelerator", cuda_only)
    assert verdict.status == "failed" and "pick_device_on('mps', True)" in failing_messages(verdict)


def test_pick_accelerator_accepts_names_imported_from_torch_accelerator(session):
    code = ("import torch\nfrom torch.accelerator import is_available, current_accelerator\n"
            "def pick_device():\n"
            "    return torch.device(current_accelerator().type if is_available() else 'cpu')\n")
    assert check(session, "fast-and-lean/pick-accelerator", code).passed


def test_fp16_pitfall_refuses_gradients_read_before_unscaling(session):
    solution = session.catalog.exercise("fast-and-lean/pitfall-fp16-underflow").solution
    verdict = check(session, "fast-and-lean/pitfall-fp16-underflow",
                    solution.replace("scaler.unscale_(optimizer)\n", ""))
    assert verdict.status == "failed" and "65536 times too large" in failing_messages(verdict)


def test_inference_pitfall_refuses_features_that_train_the_backbone(session):
    code = """
import torch.nn.functional as F
losses = []
for step in range(20):
    feats = backbone(x)
    optimizer.zero_grad()
    loss = F.cross_entropy(head(feats), y)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
"""
    verdict = check(session, "fast-and-lean/pitfall-inference-tensors", code)
    assert verdict.status == "failed" and "Only the head trains" in failing_messages(verdict)


def test_activation_bytes_counts_a_shared_storage_once(session):
    solution = session.catalog.exercise("fast-and-lean/saved-for-backward").solution
    twice = solution.replace("kept = {}", "kept = []").replace(
        "kept[ptr] = t.untyped_storage().nbytes()", "kept.append(t.untyped_storage().nbytes())").replace(
        "sum(kept.values())", "sum(kept)")
    verdict = check(session, "fast-and-lean/saved-for-backward", twice)
    assert verdict.status == "failed" and "count its storage once" in failing_messages(verdict)


def test_lean_loop_refuses_a_step_without_autocast(session):
    solution = session.catalog.exercise("fast-and-lean/lean-loop").solution
    plain = solution.replace("    with torch.autocast(device_type=device.type, dtype=amp_dtype):\n"
                             "        loss = F.cross_entropy(model(xb), yb)\n",
                             "    loss = F.cross_entropy(model(xb), yb)\n")
    assert plain != solution
    verdict = check(session, "fast-and-lean/lean-loop", plain)
    assert verdict.status == "failed" and "under `torch.autocast(" in failing_messages(verdict)


def test_compile_without_a_compiler_fails_with_the_way_to_install_one(monkeypatch):
    # Inductor finds its compiler through $CXX: a name that does not exist is a machine without one.
    # The run must not die inside Inductor (nor the reference, which would read as a broken lesson):
    # it runs traced, and the verdict says what is missing and how to install it.
    monkeypatch.setenv("CXX", "no-such-compiler")
    # Workers forked from a template carry the environment the template started with (an earlier
    # test's, with a compiler): start this one as a fresh interpreter, which sees $CXX.
    monkeypatch.setenv("PTREF_NO_TEMPLATE", "1")
    catalog = Catalog.load([builtin_lessons_dir()])
    exercise = catalog.exercise("fast-and-lean/compile-one-graph")
    with Session(catalog, SessionConfig(spare=False)) as own:
        verdict = own.check(exercise, exercise.solution, record=False)
    assert verdict.status == "failed"
    assert [c.passed for c in verdict.checks] == [False, True, True, True, True]
    assert "no working C++ compiler was found" in verdict.checks[0].message
    assert "sudo apt install g++" in verdict.checks[0].message


def test_activation_bytes_with_a_pack_that_returns_nothing_fails_at_backward(session):
    # The backward pass is what makes `pack` return the tensor: unpack then gets None back and
    # autograd names the hook, instead of a count that is off for reasons the learner cannot see.
    solution = session.catalog.exercise("fast-and-lean/saved-for-backward").solution
    silent = solution.replace("        return t\n", "")
    assert silent != solution
    verdict = check(session, "fast-and-lean/saved-for-backward", silent)
    assert verdict.status == "error" and "unpack_hook" in verdict.error.message
