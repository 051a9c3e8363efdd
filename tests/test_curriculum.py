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
NEW_LESSONS = [
    ("saving-loading", "state_dict, torch.save/load with weights_only, checkpoints, resuming bit for bit"),
    ("convolutions", "Conv2d shapes and the output-size formula, padding, pooling, BatchNorm2d, a small CNN"),
    ("embeddings-sequences", "nn.Embedding, padding_idx, pad_sequence and masks, pack_padded_sequence, ignore_index"),
    ("attention", "einsum, scaled dot-product attention, causal/padding masks, MultiheadAttention, LayerNorm"),
    ("transformer-block", "a pre-norm residual block, positions, a tiny character-level model, sampling"),
    ("training-craft", "nn.init, schedulers, gradient clipping, AdamW, reproducibility, overfitting one batch"),
    ("fast-and-lean", "autocast and bfloat16, inference_mode, memory, torch.compile, torch.accelerator"),
    ("tensor-puzzles", "cumsum, tril, diag, bincount, ... from arange, where, indexing and broadcasting"),
]
LESSONS = SECTIONS + NEW_LESSONS
# The training exercises' stated outcomes: the bound the prompt promises is the bound a check holds.
TRAINING_BOUNDS = {
    "fashion-mnist/train-to-accuracy": ("0.75", "test_acc >= 0.75"),
    "convolutions/train-cnn": ("0.85", "test_acc >= 0.85"),
    "transformer-block/tiny-shakespeare": ("2.3", "held_out_loss(model) < 2.3"),
    "training-craft/craft-training": ("0.82", "test_acc >= 0.82"),
    "fast-and-lean/lean-loop": ("0.9", "test_acc >= 0.9"),
    "tensor-puzzles/nearest-centroid": ("0.65", "test_acc >= 0.65"),
}
CHECK_KINDS = {"tensor", "expected", "function", "assert", "forbid", "require", "output", "curve"}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    catalog = Catalog.load([builtin_lessons_dir()])
    assert catalog.errors == []
    return catalog


def test_every_section_has_its_lesson_in_order(catalog):
    # The reference's sixteen, then the eight beyond it, and nothing else in the built-in pack.
    assert [lesson.id for lesson in catalog.lessons] == [lesson_id for lesson_id, _ in LESSONS]


def test_exercise_counts(catalog):
    assert len(catalog.exercises()) >= 167
    for lesson in catalog.lessons:
        assert len(lesson.exercises) >= 4, lesson.id
    new = [catalog.lesson(lesson_id) for lesson_id, _ in NEW_LESSONS]
    for lesson in new:
        assert len(lesson.exercises) >= 6, lesson.id
    assert sum(len(lesson.exercises) for lesson in new) >= 60


@pytest.mark.parametrize("exercise_id", list(TRAINING_BOUNDS))
def test_training_exercises_check_the_bound_their_prompt_states(catalog, exercise_id):
    exercise = catalog.exercise(exercise_id)
    stated, expr = TRAINING_BOUNDS[exercise_id]
    assert f"**{stated}**" in exercise.prompt
    assert expr in [getattr(check, "expr", None) for check in exercise.checks]
    assert exercise.variants == 1  # one training run per check, within its timeout


@pytest.mark.parametrize("lesson_id", [lesson_id for lesson_id, _ in NEW_LESSONS])
def test_new_lessons_end_with_a_whole_program(catalog, lesson_id):
    # The last exercise builds something whole: a function or a training run, checked on more than
    # one property (a single-value exercise is not a program).
    last = catalog.lesson(lesson_id).exercises[-1]
    assert len(last.checks) >= 3, last.full_id


def test_every_check_kind_is_used(catalog):
    kinds = Counter(check.kind for exercise in catalog.exercises() for check in exercise.checks)
    assert set(kinds) == CHECK_KINDS, kinds


def test_every_lesson_has_a_pitfall_from_the_reference(catalog):
    for lesson in catalog.lessons:
        assert any(exercise.title.startswith("Pitfall") for exercise in lesson.exercises), lesson.id


@pytest.mark.parametrize("lesson_id", [lesson_id for lesson_id, _ in LESSONS])
def test_every_exercise_is_complete(catalog, lesson_id):
    for exercise in catalog.lesson(lesson_id).exercises:
        where = exercise.full_id
        assert exercise.prompt.strip(), where
        assert has_placeholder(exercise.starter), where
        assert len(exercise.hints) >= 3, where  # a ladder: the idea, the API, a partial line
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


def test_data_for_the_new_lessons_is_small_offline_and_licensed():
    # Lessons 17-24 reuse the Fashion-MNIST subset above and add only a public-domain text.
    data = builtin_lessons_dir() / "data"
    new = [path for path in data.iterdir() if path.is_dir() and path.name != "fashion-mnist"]
    assert "coriolanus" in [path.name for path in new]
    for path in new:
        assert (path / "LICENSE").is_file(), f"{path.name} ships without its licence"
    assert sum(f.stat().st_size for path in new for f in path.rglob("*") if f.is_file()) < 5 * 1024**2
    notice = (data / "coriolanus" / "LICENSE").read_text()
    assert "public domain" in notice.lower() and "Shakespeare" in notice
    text = (data / "coriolanus" / "coriolanus.txt").read_text(encoding="ascii")
    assert text.startswith("First Citizen:") and len(text) == 31_742
