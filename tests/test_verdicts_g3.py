"""Issue 11, section 3, lessons 09-12: each exercise the issue names now refuses the wrong answer it
used to accept, and accepts the right answer it used to refuse (real worker, built-in pack)."""

from __future__ import annotations

import pytest

from lessontools import check, session  # noqa: F401 - session is a fixture


def failed_messages(verdict) -> str:
    return " ".join(result.message for result in verdict.checks if not result.passed)


# autograd/retain-grad: a hard-coded answer and 2*h.detach() passed; only h.retain_grad() does now.

RETAIN_GRAD_PREFIX = "import torch\nh = x * 2 + 1\nout = (h ** 2).sum()\nout.backward()\n"


@pytest.mark.parametrize("answer", ["h_grad = torch.tensor([6.0, -6.0, 14.0])", "h_grad = 2 * h.detach()"])
def test_retain_grad_refuses_the_typed_in_and_the_worked_out_gradient(session, answer):
    verdict = check(session, "autograd/retain-grad", RETAIN_GRAD_PREFIX + answer + "\n")
    assert verdict.status == "failed"
    assert "h.retain_grad()" in failed_messages(verdict)


def test_retain_grad_accepts_retain_grad_with_or_without_a_clone(session):
    for read in ("h.grad", "h.grad.clone()"):
        code = f"h = x * 2 + 1\nh.retain_grad()\nout = (h ** 2).sum()\nout.backward()\nh_grad = {read}\n"
        assert check(session, "autograd/retain-grad", code).passed


# autograd/zero-the-grad: the three gradients of the example, typed in, passed.

def test_zero_the_grad_refuses_the_example_gradients_typed_in(session):
    code = "import torch\ngrads = [torch.tensor([3.0, 12.0, 27.0]) for _ in range(3)]\n"
    verdict = check(session, "autograd/zero-the-grad", code)
    assert verdict.status == "failed"
    assert "With another input than the example" in failed_messages(verdict)


def test_zero_the_grad_accepts_zeroing_in_place_or_dropping_first(session):
    zero_after = ("grads = []\nfor step in range(3):\n    loss = (x ** 3).sum()\n    loss.backward()\n"
                  "    grads.append(x.grad.clone())\n    x.grad.zero_()\n")
    drop_first = ("grads = []\nfor step in range(3):\n    x.grad = None\n    loss = (x ** 3).sum()\n"
                  "    loss.backward()\n    grads.append(x.grad.clone())\n")
    assert check(session, "autograd/zero-the-grad", zero_after).passed
    assert check(session, "autograd/zero-the-grad", drop_first).passed


# autograd/no-grad: torch.inference_mode() was refused by a `require torch.no_grad`.

def test_no_grad_accepts_inference_mode(session):
    code = "import torch\ntrain_out = x_new @ w\nwith torch.inference_mode():\n    preds = x_new @ w\n"
    assert check(session, "autograd/no-grad", code).passed


def test_no_grad_still_refuses_detaching_afterwards(session):
    verdict = check(session, "autograd/no-grad", "train_out = x_new @ w\npreds = (x_new @ w).detach()\n")
    assert verdict.status == "failed"
    assert "torch.no_grad()" in failed_messages(verdict)


# modules/linear-by-hand: any mention of nn.Linear was banned, so testing against one was refused.

def test_linear_by_hand_accepts_checking_against_nn_linear(session):
    code = ("import torch\nfrom torch import nn\n\ndef linear_forward(x, weight, bias):\n"
            "    return x @ weight.T + bias\n\nlin = nn.Linear(5, 3)\nxb = torch.randn(2, 7, 5)\n"
            "assert torch.allclose(linear_forward(xb, lin.weight, lin.bias), lin(xb), atol=1e-6)\n")
    assert check(session, "modules/linear-by-hand", code).passed


@pytest.mark.parametrize("code", [
    "import torch.nn.functional as F\ndef linear_forward(x, weight, bias):\n    return F.linear(x, weight, bias)\n",
    "from torch.nn.functional import linear as lin\ndef linear_forward(x, weight, bias):\n    return lin(x, weight, bias)\n",
])
def test_linear_by_hand_refuses_f_linear_inside_the_function(session, code):
    verdict = check(session, "modules/linear-by-hand", code)
    assert verdict.status == "failed"
    assert "F.linear" in failed_messages(verdict)


# modules/classifier (issue 12): forgetting super().__init__() failed three checks with misleading
# sentences; the learner's own code now builds a model, so the error and its explanation come first.

def test_classifier_without_super_init_is_an_error_that_names_the_fix(session):
    code = ("import torch\nfrom torch import nn\n\nclass Classifier(nn.Module):\n"
            "    def __init__(self, n_in, n_hidden, n_classes):\n"
            "        self.hidden = nn.Linear(n_in, n_hidden)\n        self.out = nn.Linear(n_hidden, n_classes)\n\n"
            "    def forward(self, x):\n        return self.out(torch.relu(self.hidden(x)))\n\n"
            "model = Classifier(4, 8, 3).to(device)\nlogits = model(x)\n")
    verdict = check(session, "modules/classifier", code)
    assert verdict.status == "error"
    assert "cannot assign module before Module.__init__() call" in verdict.summary
    assert verdict.error is not None and "super().__init__()" in verdict.error.explanation


# activations-losses/cross-entropy and kl-div: copying the one-step loss into the by-hand one passed.

CROSS_ENTROPY = """import torch
from torch import nn
import torch.nn.functional as F
targets = labels.long()
loss = nn.CrossEntropyLoss()(logits, targets)
log_probs = F.log_softmax(logits, dim=1)
loss_two_step = {two_step}
per_sample = F.cross_entropy(logits, targets, reduction="none")
"""


@pytest.mark.parametrize("two_step", ["loss", "loss.clone()", "F.cross_entropy(logits, targets)"])
def test_cross_entropy_refuses_a_two_step_loss_that_skips_the_steps(session, two_step):
    verdict = check(session, "activations-losses/cross-entropy", CROSS_ENTROPY.format(two_step=two_step))
    assert verdict.status == "failed"
    assert "FROM your `log_probs`" in failed_messages(verdict)


@pytest.mark.parametrize("two_step", ["F.nll_loss(log_probs, targets)", "nn.NLLLoss()(log_probs, targets)"])
def test_cross_entropy_accepts_nll_loss_on_the_log_probs(session, two_step):
    assert check(session, "activations-losses/cross-entropy", CROSS_ENTROPY.format(two_step=two_step)).passed


def test_cross_entropy_refuses_the_example_values_typed_in(session):
    code = ("import torch\ntargets = torch.tensor([0, 1, 2, 0, 1])\n"
            "loss = torch.tensor(0.7, requires_grad=True)\nloss_two_step = loss\n")
    assert check(session, "activations-losses/cross-entropy", code).status == "failed"


KL = """import torch
from torch import nn
import torch.nn.functional as F
log_p = F.log_softmax(student_logits, dim=1)
kl = nn.KLDivLoss(reduction="batchmean")(log_p, teacher_probs)

def kl_by_hand(log_p, q):
    return {body}
"""


@pytest.mark.parametrize("body", ['nn.KLDivLoss(reduction="batchmean")(log_p, q)',
                                  'F.kl_div(log_p, q, reduction="batchmean")', "kl"])
def test_kl_div_refuses_a_by_hand_value_that_is_kl_div_again(session, body):
    assert check(session, "activations-losses/kl-div", KL.format(body=body)).status == "failed"


@pytest.mark.parametrize("body", ["(q * (q.log() - log_p)).sum() / log_p.shape[0]",
                                  "(q * (q.log() - log_p)).sum(dim=1).mean()"])
def test_kl_div_accepts_the_definition(session, body):
    assert check(session, "activations-losses/kl-div", KL.format(body=body)).passed


# training-loop/one-step: leaving out zero_grad() passed because the gradients started as None.

ONE_STEP = "{zero}loss = loss_fn(model(X), y)\nloss.backward()\noptimizer.step()\n"


def test_one_step_refuses_a_step_without_zero_grad(session):
    verdict = check(session, "training-loop/one-step", ONE_STEP.format(zero=""))
    assert verdict.status == "failed"
    assert "zero_grad()" in failed_messages(verdict)


@pytest.mark.parametrize("zero", ["optimizer.zero_grad()\n", "model.zero_grad()\n"])
def test_one_step_accepts_clearing_through_the_optimiser_or_the_model(session, zero):
    assert check(session, "training-loop/one-step", ONE_STEP.format(zero=zero)).passed


# The typo pitfalls are one exercise now, and every lesson keeps a pitfall that is a real mistake.

def test_the_typos_are_one_exercise_and_each_lesson_keeps_a_real_pitfall(session):
    catalog = session.catalog
    typos = catalog.exercise("training-loop/reference-typos")
    assert not typos.title.startswith("Pitfall")
    for spelling in ("loss_fn", "RMSProp", "cross_entropy_loss"):
        assert spelling in typos.starter
    for lesson_id in ("autograd", "modules", "activations-losses", "training-loop"):
        titles = [exercise.title for exercise in catalog.lesson(lesson_id).exercises]
        assert any(title.startswith("Pitfall") for title in titles), lesson_id
        pitfall_starters = [exercise.starter for exercise in catalog.lesson(lesson_id).exercises
                            if exercise.title.startswith("Pitfall")]
        assert not any("RMSProp" in starter or "cross_entropy_loss" in starter for starter in pitfall_starters)


def test_the_typos_exercise_wants_every_name_fixed(session):
    exercise = session.catalog.exercise("training-loop/reference-typos")
    one_fixed = exercise.starter.replace("loss_function =", "loss_fn =")
    verdict = check(session, "training-loop/reference-typos", one_fixed)
    assert verdict.status in ("error", "not_attempted")
    assert "RMSProp" in (verdict.error.message if verdict.error else "")
    assert check(session, "training-loop/reference-typos", exercise.solution).passed
