"""Lessons 21 (transformer-block) and 22 (training-craft): their shipped text, their shape, and
verdicts a learner meets on the way, through a real Session on the built-in pack (a real worker,
real torch). `ptref-tutor lint` proves their solutions, starters and mutants."""

from __future__ import annotations

import pytest

from tutor.lessons import Catalog
from tutor.paths import builtin_lessons_dir
from tutor.session import Session, SessionConfig

NEW_LESSONS = ("transformer-block", "training-craft")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    catalog = Catalog.load([builtin_lessons_dir()])
    assert not catalog.errors, catalog.errors
    return catalog


@pytest.fixture(scope="module")
def session(catalog):
    with Session(catalog, SessionConfig(spare=False)) as session:
        yield session


def check(session, exercise_id, code):
    return session.check(session.catalog.exercise(exercise_id), code, record=False)


def failed_checks(verdict) -> dict[str, str]:
    return {check.name: check.message for check in verdict.checks if not check.passed}


def test_the_play_ships_small_plain_and_public_domain():
    data = builtin_lessons_dir() / "data" / "coriolanus"
    text = (data / "coriolanus.txt").read_bytes()
    assert len(text) < 1024**2 and text.isascii() and b"\r" not in text
    assert text.startswith(b"First Citizen:\nBefore we proceed any further, hear me speak.")
    assert len(set(text.decode())) == 58  # the vocabulary size the lesson states
    assert "public domain" in (data / "LICENSE").read_text().lower()


@pytest.mark.parametrize("lesson_id", NEW_LESSONS)
def test_each_lesson_has_its_shape(catalog, lesson_id):
    lesson = catalog.lesson(lesson_id)
    exercises = lesson.exercises
    assert len(exercises) >= 6
    assert all(len(exercise.hints) >= 3 for exercise in exercises)
    assert any(exercise.title.startswith("Pitfall") for exercise in exercises)
    whole = exercises[-1]  # the last exercise trains something whole, once, and judges its curve
    assert whole.variants == 1 and any(check.kind == "curve" for check in whole.checks)
    slow = [exercise.id for exercise in exercises if exercise.variants == 1]
    assert slow == [whole.id] or (lesson_id == "training-craft" and slow == ["reproducible-workers", whole.id])


def test_only_the_worker_seeding_exercise_starts_processes(catalog):
    with_processes = [exercise.full_id for lesson_id in NEW_LESSONS
                      for exercise in catalog.lesson(lesson_id).exercises if exercise.sandbox.processes]
    assert with_processes == ["training-craft/reproducible-workers"]


ATTENTION = """
import torch
from torch import nn

class CausalSelfAttention(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.attn = nn.MultiheadAttention(d_model, n_heads, batch_first=True)

    def forward(self, x):
        T = x.size(1)
        {mask}
        return self.attn(x, x, x, attn_mask=mask, need_weights=False)[0]

layer = CausalSelfAttention(32, 4).to(device)
out = layer(x)
"""


def test_a_mask_in_the_other_convention_is_caught_reading_the_future(session):
    # torch.tril is F.scaled_dot_product_attention's convention; nn.MultiheadAttention blocks where True.
    code = ATTENTION.format(mask="mask = torch.tril(torch.ones(T, T, dtype=torch.bool, device=x.device))")
    failed = failed_checks(check(session, "transformer-block/pitfall-reads-the-future", code))
    assert "not _reads_future(layer)" in failed and "BLOCKED" in failed["not _reads_future(layer)"]


def test_the_float_causal_mask_is_accepted_too(session):
    code = ATTENTION.format(mask="mask = nn.Transformer.generate_square_subsequent_mask(T, device=x.device)")
    assert check(session, "transformer-block/pitfall-reads-the-future", code).passed


def test_the_loss_accepts_the_classes_second_form_and_explains_a_flat_per_position(session):
    code = """
import math
import torch.nn.functional as F
V = logits.size(-1)
loss = F.cross_entropy(logits.transpose(1, 2), targets)
per_position = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), reduction="none")
perplexity = loss.exp()
uniform_loss = -math.log(1 / V)
"""
    failed = failed_checks(check(session, "transformer-block/lm-loss", code))
    assert set(failed) == {"per_position"} and "(B, V, T)" in failed["per_position"]


def test_a_norm_measured_after_clipping_is_refused(session):
    code = """
import torch
import torch.nn.functional as F
grad_norms, skipped = [], 0
for xb, yb in batches:
    optimizer.zero_grad()
    F.mse_loss(model(xb), yb).backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    norm = torch.cat([p.grad.flatten() for p in model.parameters()]).norm()
    grad_norms.append(norm.item())
    if not torch.isfinite(norm):
        skipped += 1
        continue
    optimizer.step()
"""
    failed = failed_checks(check(session, "training-craft/clip-and-log", code))
    assert set(failed) == {"grad_norms"} and "before clipping" in failed["grad_norms"]


def test_a_steplr_counting_batches_with_a_scaled_step_size_is_accepted(session):
    # Stepping per batch is right if step_size counts batches: the schedule is the same.
    code = """
import torch
import torch.nn.functional as F
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=step_size * len(loader), gamma=gamma)
lrs, epoch_losses = [], []
for epoch in range(6):
    lrs.append(scheduler.get_last_lr()[0])
    total = 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = F.mse_loss(model(xb), yb)
        loss.backward()
        optimizer.step()
        scheduler.step()
        total += loss.item()
    epoch_losses.append(total / len(loader))
"""
    assert check(session, "training-craft/pitfall-scheduler-step", code).passed
