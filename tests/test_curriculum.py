"""The built-in curriculum covers every section of the reference, with enough exercises of every kind.

`ptref-tutor lint` (tests/test_cli.py) proves that every solution passes and every starter fails;
this file checks the shape of the curriculum against what the curriculum issue asks for.
"""

import re
from collections import Counter

import pytest

from tutor.checking.static import has_placeholder
from tutor.lessons import Catalog
from tutor.lessons.fences import python_blocks
from tutor.paths import builtin_lessons_dir

# The reference's sections, in order, and the lesson that teaches each.
SECTIONS = [
    ("getting-started", "torch version, is a GPU there, choosing device"),
    ("creating-tensors", "torch.tensor vs torch.Tensor, dtypes, empty/zeros/ones/rand/randn/arange, *_like"),
    ("tensor-info", "shape/size, dtype, device, .to/.cpu, storage sharing"),
    ("indexing", "basic and advanced indexing, views and copies"),
    ("reshaping", "reshape/view, cat/stack, squeeze/unsqueeze, transpose/permute, flatten"),
    ("arithmetic", "element-wise, in-place, reductions, dot/mm/matmul, broadcasting"),
    ("conditions", "masks, torch.where (both forms), nonzero"),
    ("numpy-bridge", "numpy()/from_numpy, as_tensor, detach"),
    ("autograd", "requires_grad, grad_fn, backward, accumulation, detach, retain_graph, no_grad"),
    ("modules", "nn.Module, parameters, Linear, Sequential, ModuleList, train/eval"),
    ("activations-losses", "activations and losses, which pairs with which"),
    ("training-loop", "zero_grad/backward/step, optimisers, XOR"),
    ("regularisation", "dropout, weight decay, L1/L2 penalties"),
    ("data", "Dataset, TensorDataset, DataLoader, random_split"),
    ("fashion-mnist", "Fashion-MNIST offline, classifier, evaluation, stated accuracy"),
    ("recurrent", "RNN, LSTM shapes, LSTMCell, a sequence classifier"),
]
# Beyond the reference: what a learner needs in 2026 (issue 14), after its sixteen sections.
BEYOND = [
    ("saving-loading", "state_dict, torch.save/load with weights_only, checkpoints, resuming bit for bit"),
    ("convolutions", "Conv2d shapes and the output-size formula, padding, pooling, BatchNorm2d, a small CNN"),
    ("embeddings-sequences", "nn.Embedding, padding_idx, pad_sequence and masks, pack_padded_sequence, ignore_index"),
    ("attention", "einsum, scaled dot-product attention, causal/padding masks, MultiheadAttention, LayerNorm"),
    ("transformer-block", "a pre-norm residual block, positions, a tiny character-level model, sampling"),
    ("training-craft", "nn.init, schedulers, gradient clipping, AdamW, reproducibility, overfitting one batch"),
    ("fast-and-lean", "autocast and bfloat16, inference_mode, memory, torch.compile, torch.accelerator"),
    ("tensor-puzzles", "cumsum, tril, diag, bincount, ... from arange, where, indexing and broadcasting"),
]
CHECK_KINDS = {"tensor", "expected", "function", "assert", "forbid", "require", "output", "curve"}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    catalog = Catalog.load([builtin_lessons_dir()])
    assert catalog.errors == []
    return catalog


def test_every_section_has_its_lesson_in_order(catalog):
    ids = [lesson.id for lesson in catalog.lessons]
    assert ids[:len(SECTIONS)] == [lesson_id for lesson_id, _ in SECTIONS]
    beyond = [lesson_id for lesson_id, _ in BEYOND]
    assert ids[len(SECTIONS):] == [lesson_id for lesson_id in beyond if lesson_id in ids]


def test_exercise_counts(catalog):
    assert len(catalog.exercises()) >= 80
    for lesson in catalog.lessons:
        assert len(lesson.exercises) >= 4, lesson.id


def test_every_check_kind_is_used(catalog):
    kinds = Counter(check.kind for exercise in catalog.exercises() for check in exercise.checks)
    assert set(kinds) == CHECK_KINDS, kinds


def test_every_lesson_has_a_pitfall_from_the_reference(catalog):
    for lesson in catalog.lessons:
        assert any(exercise.title.startswith("Pitfall") for exercise in lesson.exercises), lesson.id


@pytest.mark.parametrize("lesson_id", [lesson_id for lesson_id, _ in SECTIONS])
def test_every_exercise_is_complete(catalog, lesson_id):
    for exercise in catalog.lesson(lesson_id).exercises:
        where = exercise.full_id
        assert exercise.prompt.strip(), where
        assert has_placeholder(exercise.starter), where
        assert len(exercise.hints) >= 2, where
        assert exercise.solution.strip() and exercise.checks, where


def test_exercises_run_on_the_chosen_device_unless_they_cannot(catalog):
    cpu_only = [exercise.full_id for exercise in catalog.exercises() if exercise.device == "cpu"]
    assert len(cpu_only) <= len(catalog.exercises()) // 10, cpu_only


def test_every_lesson_explains_with_runnable_code(catalog):
    for lesson in catalog.lessons:
        assert len(lesson.explanation) > 400, lesson.id
        assert any(block.runnable for block in python_blocks(lesson.explanation)), lesson.id


def test_fashion_mnist_ships_its_data_and_licence():
    data = builtin_lessons_dir() / "data" / "fashion-mnist"
    names = {path.name for path in data.iterdir()}
    assert {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} <= names
    assert sum(path.stat().st_size for path in data.iterdir()) < 6 * 1024**2
    notice = (data / "LICENSE").read_text()
    assert "MIT" in notice and re.search(r"Zalando", notice)
