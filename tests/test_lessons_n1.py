"""Lessons 17 (saving-loading) and 18 (convolutions): their shape, and the verdicts found by working
them as a learner: plausible wrong answers fail, other right answers pass.

The slow training exercise (convolutions/train-cnn) is proven by `ptref-tutor lint`, not here.
"""

from __future__ import annotations

import pytest

from tutor.lessons import Catalog
from tutor.paths import builtin_lessons_dir
from tutor.session import Session, SessionConfig

NEW_LESSONS = {"saving-loading": 170, "convolutions": 180}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    catalog = Catalog.load([builtin_lessons_dir()])
    assert catalog.errors == []
    return catalog


@pytest.fixture(scope="module")
def session(catalog):
    with Session(catalog, SessionConfig(spare=False)) as session:
        yield session


@pytest.mark.parametrize("lesson_id", NEW_LESSONS)
def test_the_lesson_has_the_standard_shape(catalog, lesson_id):
    lesson = catalog.lesson(lesson_id)
    assert lesson.order == NEW_LESSONS[lesson_id]
    assert len(lesson.exercises) >= 6
    assert any(exercise.title.startswith("Pitfall") for exercise in lesson.exercises)
    assert lesson.exercises[-1].title.startswith("A small program")
    for exercise in lesson.exercises:
        assert len(exercise.hints) >= 3, exercise.full_id


def test_the_cnn_exercise_states_the_bound_it_checks(catalog):
    exercise = catalog.exercise("convolutions/train-cnn")
    assert "0.85" in exercise.prompt
    assert any(getattr(check, "expr", "") == "test_acc >= 0.85" for check in exercise.checks)
    assert exercise.variants == 1


def check(session, exercise_id: str, code: str):
    return session.check(session.catalog.exercise(exercise_id), code, record=False)


WRONG = [
    ("saving-loading/state-dict",  # parameters only: the buffers are part of the state_dict
     "keys = list(model.state_dict())\nparam_names = [n for n, _ in model.named_parameters()]\n"
     "buffer_names = [n for n, _ in model.named_buffers()]\nn_values = sum(p.numel() for p in model.parameters())\n"),
    ("saving-loading/save-and-restore",  # never loads what it saved
     "torch.save(model.state_dict(), 'weights.pt')\nrestored = make_model()\n"
     "torch.load('weights.pt', weights_only=True)\nrestored.load_state_dict\nout = restored(x)\n"),
    ("saving-loading/pitfall-whole-model",  # the unsafe way out
     "torch.save(model, 'model.pt')\nloaded = torch.load('model.pt', weights_only=False)\npreds = loaded(x)\n"),
    ("saving-loading/pitfall-best-state",  # a shallow copy still shares the tensors
     "best_loss, best_epoch, best_state = float('inf'), None, None\nfor epoch in range(30):\n"
     "    train_one_epoch()\n    val_loss = validation_loss()\n    if val_loss < best_loss:\n"
     "        best_loss, best_epoch = val_loss, epoch\n        best_state = dict(model.state_dict())\n"
     "model.load_state_dict(best_state)\n"),
    ("saving-loading/resume-training",  # the optimiser's state is not restored
     "model = make_model()\noptimizer = torch.optim.Adam(model.parameters(), lr=0.05)\n"
     "for xb, yb in batches[:3]:\n    train_step(model, optimizer, xb, yb)\n"
     "torch.save({'step': 3, 'model': model.state_dict(), 'optimizer': optimizer.state_dict()}, 'checkpoint.pt')\n"
     "model2 = make_model()\noptimizer2 = torch.optim.Adam(model2.parameters(), lr=0.05)\n"
     "model2.load_state_dict(torch.load('checkpoint.pt', weights_only=True)['model'])\n"
     "for xb, yb in batches[3:]:\n    train_step(model2, optimizer2, xb, yb)\n"),
    ("saving-loading/map-location",  # a fixed device passes on a CPU-only machine, but ignores `device`
     "def load_to(path, device):\n    return torch.load(path, map_location='cpu', weights_only=True)\n"),
    ("saving-loading/map-location",  # moving after loading: the GPU file cannot even be read
     "def load_to(path, device):\n    return {k: v.to(device) for k, v in torch.load(path, weights_only=True).items()}\n"),
    ("saving-loading/pitfall-strict-false",  # drops the head but keeps the prefix: nothing loads
     "renamed = {k: v for k, v in state.items() if 'head' not in k}\n"
     "result = model.load_state_dict(renamed, strict=False)\n"
     "missing, unexpected = result.missing_keys, result.unexpected_keys\n"),
    ("saving-loading/resumable-training",  # everything saved, but the scheduler's state never loaded back
     "def train(total_epochs, path):\n    model, optimizer, scheduler, generator, loader = make_run()\n    start = 0\n"
     "    if os.path.exists(path):\n        ckpt = torch.load(path, weights_only=True)\n"
     "        model.load_state_dict(ckpt['model'])\n        optimizer.load_state_dict(ckpt['optimizer'])\n"
     "        generator.set_state(ckpt['gen'])\n        torch.set_rng_state(ckpt['rng'])\n        start = ckpt['epoch']\n"
     "    for epoch in range(start, total_epochs):\n        one_epoch(model, optimizer, loader)\n        scheduler.step()\n"
     "        torch.save({'epoch': epoch + 1, 'model': model.state_dict(), 'optimizer': optimizer.state_dict(),\n"
     "                    'scheduler': scheduler.state_dict(), 'gen': generator.get_state(), 'rng': torch.get_rng_state()}, path)\n"
     "    return model.state_dict()\n"),
    ("convolutions/pitfall-channels-last",  # right shape, scrambled pixels
     "conv = nn.Conv2d(3, 8, kernel_size=3, device=device)\nn, h, w, c = images.shape\n"
     "x = images.reshape(n, c, h, w)\nout = conv(x)\nweight_shape = conv.weight.shape\n"),
    ("convolutions/pitfall-channels-last",  # height and width swapped
     "conv = nn.Conv2d(3, 8, kernel_size=3, device=device)\nx = images.transpose(1, 3)\n"
     "out = conv(x)\nweight_shape = conv.weight.shape\n"),
    ("convolutions/output-size",  # true division gives a float
     "def conv_output_size(n, kernel, stride=1, padding=0, dilation=1):\n"
     "    return (n + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1\n"),
    ("convolutions/same-padding",  # the extra zero on the wrong side
     "same = F.conv2d(x, weight, padding='same', dilation=dilation)\n"
     "def pad_same(kernel, dilation):\n    total = dilation * (kernel - 1)\n    return total - total // 2, total // 2\n"
     "before, after = pad_same(4, dilation)\n"
     "manual = F.conv2d(F.pad(x, (before, after, before, after)), weight, dilation=dilation)\n"),
    ("convolutions/max-pool-by-hand",  # the two maxima over the wrong dimensions
     "def max_pool_2x2(x):\n    n, c, h, w = x.shape\n    x = x[:, :, :h // 2 * 2, :w // 2 * 2]\n"
     "    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(dim=3).values.max(dim=3).values\n"
     "gap = feats.mean(dim=(2, 3))\n"),
    ("convolutions/batchnorm-by-hand",  # the unbiased variance where the output uses the biased one
     "batch_mean = x.mean(dim=(0, 2, 3))\nbatch_var = x.var(dim=(0, 2, 3))\nv = (1, -1, 1, 1)\n"
     "by_hand = (x - batch_mean.view(v)) / torch.sqrt(batch_var.view(v) + bn.eps) * bn.weight.view(v) + bn.bias.view(v)\n"
     "running_mean = 0.1 * batch_mean\nrunning_var = 0.9 + 0.1 * batch_var\n"),
    ("convolutions/pitfall-eval-mode",  # no_grad alone leaves BatchNorm in training mode
     "with torch.no_grad():\n    alone = model(image)\n    in_batch = model(batch)[:1]\n"),
    ("convolutions/receptive-field",  # a layer's stride applied to its own kernel
     "def receptive_field(layers):\n    field, step = 1, 1\n    for k, s, d in layers:\n"
     "        step *= s\n        field += d * (k - 1) * step\n    return field\n"),
]

RIGHT = [
    ("saving-loading/pitfall-strict-false",  # the shape-matching idiom, and the helper torch ships
     "own = model.state_dict()\nrenamed = {}\nfor k, v in state.items():\n    k = k.replace('module.', '', 1)\n"
     "    if k in own and own[k].shape == v.shape:\n        renamed[k] = v\n"
     "result = model.load_state_dict(renamed, strict=False)\n"
     "missing, unexpected = result.missing_keys, result.unexpected_keys\n"),
    ("saving-loading/pitfall-strict-false",
     "from torch.nn.modules.utils import consume_prefix_in_state_dict_if_present\nrenamed = dict(state)\n"
     "consume_prefix_in_state_dict_if_present(renamed, 'module.')\ndel renamed['head.weight'], renamed['head.bias']\n"
     "result = model.load_state_dict(renamed, strict=False)\n"
     "missing, unexpected = result.missing_keys, result.unexpected_keys\n"),
    ("saving-loading/pitfall-best-state",
     "import copy\nbest_loss, best_epoch, best_state = float('inf'), None, None\nfor epoch in range(30):\n"
     "    train_one_epoch()\n    val_loss = validation_loss()\n    if val_loss < best_loss:\n"
     "        best_loss, best_epoch = val_loss, epoch\n"
     "        best_state = {k: v.clone() for k, v in model.state_dict().items()}\n"
     "model.load_state_dict(best_state)\n"),
    ("convolutions/pitfall-channels-last",
     "conv = nn.Conv2d(3, 8, kernel_size=3, device=device)\nx = images.movedim(-1, 1)\nout = conv(x)\n"
     "weight_shape = conv.weight.size()\n"),
    ("convolutions/output-size",  # truncation equals the floor for these non-negative sizes
     "def conv_output_size(n, kernel, stride=1, padding=0, dilation=1):\n"
     "    return int((n + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1\n"),
    ("convolutions/max-pool-by-hand",
     "def max_pool_2x2(x):\n    n, c, h, w = x.shape\n    x = x[..., : h - h % 2, : w - w % 2]\n"
     "    return x.unflatten(3, (w // 2, 2)).unflatten(2, (h // 2, 2)).amax(dim=(3, 5))\n"
     "gap = feats.mean(dim=(-2, -1))\n"),
    ("convolutions/pitfall-eval-mode",
     "model.train(False)\nwith torch.inference_mode():\n    alone = model(image)\n    in_batch = model(batch)[:1]\n"),
    ("convolutions/receptive-field",  # the same number, walking backwards from the output
     "def receptive_field(layers):\n    field = 1\n    for k, s, d in reversed(layers):\n"
     "        field = (field - 1) * s + d * (k - 1) + 1\n    return field\n"),
]


@pytest.mark.parametrize(("exercise_id", "code"), WRONG, ids=[f"{e}-{i}" for i, (e, _) in enumerate(WRONG)])
def test_a_plausible_wrong_answer_fails(session, exercise_id, code):
    verdict = check(session, exercise_id, code)
    assert verdict.status in ("failed", "error"), (exercise_id, verdict.summary)


@pytest.mark.parametrize(("exercise_id", "code"), RIGHT, ids=[f"{e}-{i}" for i, (e, _) in enumerate(RIGHT)])
def test_another_right_answer_passes(session, exercise_id, code):
    verdict = check(session, exercise_id, code)
    assert verdict.passed, (exercise_id, verdict.summary, [c.message for c in verdict.checks if not c.passed])
