"""Verdicts on lessons 13-16 (issue 11, section 3): each wrong answer the curriculum accepted is
refused now, and each right answer is accepted, through a real Session and real torch."""

from __future__ import annotations

from tutor.linting.attacks import compared_names, hard_coded_answer

from lessontools import check, session  # noqa: F401 - session is a fixture


def failing_messages(verdict) -> str:
    return "\n".join(c.message for c in verdict.checks if not c.passed)


def typed_in(session, exercise_id) -> str:
    """The reference's values of the example, typed in as literals (lint's hard-coded answer)."""
    exercise = session.catalog.exercise(exercise_id)
    reference = session.reference(exercise)
    values = {name: reference.result(index).value for index, name in compared_names(exercise)}
    return hard_coded_answer(exercise, values)


# --- regularisation/l2-gradient: the example's numbers typed in passed ---------------------------

L2_RIGHT = """
l1 = w.abs().sum()
l2 = torch.linalg.vector_norm(w)
penalty = 0.5 * (w ** 2).sum()
penalty.backward()
grad = w.grad
"""


def test_l2_gradient_refuses_the_examples_numbers_typed_in(session):
    code = ("import torch\nl1 = torch.tensor(7.0)\nl2 = torch.tensor(5.0)\n"
            "penalty = torch.tensor(12.5, requires_grad=True)\ngrad = torch.tensor([3.0, 4.0])\n")
    verdict = check(session, "regularisation/l2-gradient", code)
    assert verdict.status == "failed"
    assert "With another input than the example" in failing_messages(verdict)
    assert "call `penalty.backward()`" in failing_messages(verdict)


def test_l2_gradient_refuses_a_grad_written_down_instead_of_computed(session):
    code = L2_RIGHT.replace("penalty.backward()\ngrad = w.grad", "grad = w.detach().clone()")
    verdict = check(session, "regularisation/l2-gradient", code)
    assert verdict.status == "failed"
    assert failing_messages(verdict) == "`w.grad` is still None: call `penalty.backward()`, which fills it."


def test_l2_gradient_refuses_the_unsquared_norm_and_accepts_the_squared_one(session):
    unsquared = check(session, "regularisation/l2-gradient", L2_RIGHT.replace("(w ** 2).sum()", "l2"))
    assert unsquared.status == "failed" and "SQUARED" in failing_messages(unsquared)
    assert check(session, "regularisation/l2-gradient", L2_RIGHT).passed


def test_l2_gradient_still_shows_the_example_first(session):
    verdict = check(session, "regularisation/l2-gradient", "print(w)\n" + L2_RIGHT)
    assert verdict.passed and verdict.stdout == "tensor([3., 4.], requires_grad=True)\n"


# --- regularisation/weight-decay-equivalence: weight_decay on both optimisers passed -------------

def decay_answer(opt_b: str, penalty: str) -> str:
    return f"""
opt_a = torch.optim.SGD(model_a.parameters(), lr=0.1, weight_decay=0.1)
opt_b = {opt_b}
for step in range(5):
    opt_a.zero_grad()
    loss_fn(model_a(X), y).backward()
    opt_a.step()
for step in range(5):
    opt_b.zero_grad()
    (loss_fn(model_b(X), y) + {penalty}).backward()
    opt_b.step()
"""


def test_weight_decay_equivalence_refuses_weight_decay_on_both_optimisers(session):
    code = decay_answer("torch.optim.SGD(model_b.parameters(), lr=0.1, weight_decay=0.1)", "0")
    verdict = check(session, "regularisation/weight-decay-equivalence", code)
    assert verdict.status == "failed"
    assert failing_messages(verdict).startswith("`opt_b` must be plain SGD, without `weight_decay`")


def test_weight_decay_equivalence_accepts_the_penalty_written_with_arithmetic(session):
    penalty = "0.1 / 2 * sum((p ** 2).sum() for p in model_b.parameters())"
    code = decay_answer("torch.optim.SGD(model_b.parameters(), lr=0.1)", penalty)
    assert check(session, "regularisation/weight-decay-equivalence", code).passed


def test_weight_decay_equivalence_refuses_a_penalty_without_the_biases(session):
    code = decay_answer("torch.optim.SGD(model_b.parameters(), lr=0.1)", "0.05 * (model_b.weight ** 2).sum()")
    verdict = check(session, "regularisation/weight-decay-equivalence", code)
    assert verdict.status == "failed" and "biases included" in failing_messages(verdict)


# --- data/shuffle-seeded: the example's orders typed in passed -----------------------------------

SHUFFLE_TYPED_IN = """
import torch
from torch.utils.data import DataLoader
loader = DataLoader(dataset, batch_size=5, shuffle=True, generator=torch.Generator().manual_seed(42))
epoch1 = torch.tensor([16, 15, 2, 9, 0, 19, 6, 14, 18, 5, 10, 11, 3, 1, 12, 13, 7, 8, 4, 17])
epoch2 = torch.tensor([17, 16, 5, 11, 19, 9, 3, 12, 14, 0, 10, 6, 18, 2, 15, 4, 7, 13, 1, 8])
"""


def test_shuffle_seeded_refuses_the_examples_orders_typed_in(session):
    verdict = check(session, "data/shuffle-seeded", SHUFFLE_TYPED_IN)
    assert verdict.status == "failed"
    assert "With another input than the example (test 2 of 3: labels = tensor([" in failing_messages(verdict)
    # the typed-in orders are the example's own: it is the other labels that refuse them
    assert verdict.checks[2].message.startswith("With another input")


def test_shuffle_seeded_accepts_epochs_collected_in_loops(session):
    code = """
loader = DataLoader(dataset, batch_size=5, shuffle=True, generator=torch.Generator().manual_seed(42))
orders = []
for epoch in range(2):
    seen = []
    for xb, yb in loader:
        seen.append(yb)
    orders.append(torch.cat(seen))
epoch1, epoch2 = orders
"""
    assert check(session, "data/shuffle-seeded", code).passed


def test_shuffle_seeded_refuses_a_new_loader_per_epoch(session):
    code = """
def make():
    return DataLoader(dataset, batch_size=5, shuffle=True, generator=torch.Generator().manual_seed(42))
loader = make()
epoch1 = torch.cat([yb for _, yb in make()])
epoch2 = torch.cat([yb for _, yb in make()])
"""
    verdict = check(session, "data/shuffle-seeded", code)
    assert verdict.status == "failed" and "iterate over the same loader twice" in failing_messages(verdict)


# --- data/minibatch-training: leaving out zero_grad() passed (found by lint's mutants) -----------

MINIBATCH = """
torch.manual_seed(0)
dataset = TensorDataset(X, y)
loader = DataLoader(dataset, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
model = nn.Linear(2, 2)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
epoch_losses = []
for epoch in range(5):
    batch_losses = []
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        batch_losses.append(loss.item())
    epoch_losses.append(sum(batch_losses) / len(batch_losses))
"""


def test_minibatch_training_refuses_a_loop_without_zero_grad(session):
    verdict = check(session, "data/minibatch-training", MINIBATCH.replace("        optimizer.zero_grad()\n", ""))
    assert verdict.status == "failed"
    assert "`optimizer.zero_grad()` before every `backward()`" in failing_messages(verdict)


def test_minibatch_training_accepts_the_mean_of_equal_batches(session):
    assert check(session, "data/minibatch-training", MINIBATCH).passed


# --- fashion-mnist/using-gpu-pitfall: on a CPU, moving nothing passed -----------------------------

def test_using_gpu_pitfall_refuses_moving_nothing_even_without_a_gpu(session):
    verdict = check(session, "fashion-mnist/using-gpu-pitfall",
                    "images, labels = next(iter(test_loader))\nlogits = model(images)\n")
    assert verdict.status == "failed"
    assert "Move `model` to `device`" in failing_messages(verdict)


def test_using_gpu_pitfall_says_which_tensor_was_left_behind(session):
    verdict = check(session, "fashion-mnist/using-gpu-pitfall",
                    "model = model.to(device)\nimages, labels = next(iter(test_loader))\nlogits = model(images)\n")
    assert verdict.status == "error"
    assert "Tensor on device meta is not on the expected device cpu" in verdict.summary
    assert "`images` is float32 (8, 28, 28) on cpu" in verdict.error.facts


def test_using_gpu_pitfall_accepts_a_device_chosen_the_robust_way(session):
    code = """
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
model.to(device)
images, labels = next(iter(test_loader))
logits = model(images.to(device))
"""
    assert check(session, "fashion-mnist/using-gpu-pitfall", code).passed


# --- fashion-mnist/torchvision-offline: the v2 transforms the lesson now teaches --------------------

OFFLINE = """
import gzip
from pathlib import Path
import torch
from torchvision.datasets import FashionMNIST
from torchvision.transforms import v2

raw = Path("fm-root") / "FashionMNIST" / "raw"
raw.mkdir(parents=True, exist_ok=True)
for gz in data_dir.glob("*.gz"):
    (raw / gz.stem).write_bytes(gzip.decompress(gz.read_bytes()))
test_set = FashionMNIST("fm-root", train=False, download=True, transform=v2.Compose(STEPS))
image, label = test_set[0]
"""


def test_torchvision_offline_accepts_the_v2_transforms_and_download_true_with_the_files_there(session):
    code = OFFLINE.replace("STEPS", "[v2.ToImage(), v2.ToDtype(torch.float32, scale=True)]")
    assert check(session, "fashion-mnist/torchvision-offline", code).passed


def test_torchvision_offline_refuses_v2_without_scaling(session):
    code = OFFLINE.replace("STEPS", "[v2.ToImage(), v2.ToDtype(torch.float32)]")
    verdict = check(session, "fashion-mnist/torchvision-offline", code)
    assert verdict.status == "failed" and "without `scale=True`" in failing_messages(verdict)


# --- recurrent/lstm-cell-loop: the example's outputs typed in passed -----------------------------

def test_lstm_cell_loop_refuses_the_examples_states_typed_in(session):
    code = typed_in(session, "recurrent/lstm-cell-loop")
    assert "outputs = torch.tensor([[[" in code and "hx = torch.tensor(" in code
    verdict = check(session, "recurrent/lstm-cell-loop", code)
    assert verdict.status == "failed"
    assert "With another input than the example (test 2 of 3: x = " in failing_messages(verdict)


def test_lstm_cell_loop_accepts_a_loop_over_the_sequence_itself(session):
    code = """
hx = torch.zeros(3, 20, device=device)
cx = torch.zeros(3, 20, device=device)
steps = []
for x_t in x:
    hx, cx = cell(x_t, (hx, cx))
    steps.append(hx)
outputs = torch.stack(steps)
"""
    assert check(session, "recurrent/lstm-cell-loop", code).passed


def test_lstm_cell_loop_refuses_a_state_not_carried_over(session):
    code = """
steps = []
for t in range(x.size(0)):
    hx, cx = cell(x[t])
    steps.append(hx)
outputs = torch.stack(steps)
"""
    verdict = check(session, "recurrent/lstm-cell-loop", code)
    assert verdict.status == "failed" and "the previous step's `(hx, cx)`" in failing_messages(verdict)
