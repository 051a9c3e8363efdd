"""Keeping one run's changes to process-wide state out of the next run.

Each run starts from reset torch/numpy/random state. After each run, the attributes of the modules
and classes a learner is likely to monkeypatch are compared (by identity) with a snapshot taken at
start-up; anything replaced is put back, and reported so the tutor recycles this worker to be sure.
Only the dicts written to since they last matched are compared (tutor/sandbox/worker/dict_versions.py).
"""

from __future__ import annotations

import builtins
import math
import operator
import os
import random
import sys
import threading
import warnings
from dataclasses import dataclass
from itertools import repeat
from typing import Callable

import numpy as np
import torch

from tutor.sandbox.worker.dict_versions import version_reader

_MISSING = object()


@dataclass(slots=True)
class _Watched:
    """One watched module or class: its attributes as the snapshot holds them, and the version of
    its dict when they were last known to match (None where versions are not available)."""

    name: str
    owner: object
    keys: tuple
    values: tuple
    version: Callable[[], int] | None
    seen: int = -1

    def unchanged(self) -> bool:
        return self.version is not None and self.version() == self.seen

    def mark_seen(self) -> None:
        if self.version is not None:
            self.seen = self.version()


def _watched() -> list[tuple[str, object]]:
    import torch.nn.functional
    import torch.utils.data

    return [
        ("torch", torch), ("torch.nn", torch.nn), ("torch.nn.functional", torch.nn.functional),
        ("torch.nn.init", torch.nn.init), ("torch.linalg", torch.linalg), ("torch.testing", torch.testing),
        ("torch.optim", torch.optim), ("torch.autograd", torch.autograd),
        ("torch.utils.data", torch.utils.data), ("torch.Tensor", torch.Tensor),
        ("torch.nn.Module", torch.nn.Module), ("torch.nn.Parameter", torch.nn.Parameter),
        ("torch.optim.Optimizer", torch.optim.Optimizer),
        ("numpy", np), ("numpy.random", np.random), ("builtins", builtins), ("math", math),
        ("random", random),
    ]


class GlobalState:
    def __init__(self, threads: int, device: torch.device, gpu_memory_fraction: float | None = None) -> None:
        self.threads = threads
        self.device = device
        self.gpu_memory_fraction = gpu_memory_fraction
        self.take_snapshot()
        self.numpy_print = np.get_printoptions()
        self.numpy_err = np.geterr()
        self.warning_filters = list(warnings.filters)
        self.environ = dict(os.environ)
        self.environ_data = _environ_data()
        self.path = list(sys.path)
        self.recursion_limit = sys.getrecursionlimit()
        self.baseline_threads = {thread.ident for thread in threading.enumerate()}

    def take_snapshot(self) -> None:
        """Record the watched attributes as they are now. Call after a warm-up run: torch swaps
        some functions for wrapped versions on first use, which is not a learner's change."""
        self.snapshot: list[_Watched] = []
        for name, owner in _watched():
            current = vars(owner)
            watched = _Watched(name, owner, tuple(current), tuple(current.values()), version_reader(current))
            watched.mark_seen()
            self.snapshot.append(watched)

    def reset(self, seed: int) -> None:
        """Put every global a run may change back to its start-up value, then seed the RNGs."""
        torch.set_default_dtype(torch.float32)
        if hasattr(torch, "set_default_device"):
            torch.set_default_device(None)
        torch.set_grad_enabled(True)
        torch.autograd.set_detect_anomaly(False)
        if torch.are_deterministic_algorithms_enabled() or torch.is_deterministic_algorithms_warn_only_enabled():
            # Only when a run turned it on: the call imports torch._dynamo (80 MB in every worker).
            torch.use_deterministic_algorithms(False)
        torch.set_printoptions(profile="default", sci_mode=None)
        torch.set_num_threads(self.threads)
        torch.set_float32_matmul_precision("highest")
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = False
        if self.gpu_memory_fraction:  # learner code can change it: it is a setting, not a limit
            torch.cuda.set_per_process_memory_fraction(self.gpu_memory_fraction, self.device)
        np.set_printoptions(**self.numpy_print)
        np.seterr(**self.numpy_err)
        warnings.filters[:] = self.warning_filters
        if hasattr(warnings, "_filters_mutated"):  # invalidates the per-module "already shown" caches
            warnings._filters_mutated()
        if _environ_data() != self.environ_data:
            os.environ.clear()
            os.environ.update(self.environ)
        sys.path[:] = self.path
        sys.setrecursionlimit(self.recursion_limit)
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        seed_everything(seed)

    def repair(self) -> list[str]:
        """Undo monkeypatching of watched modules and classes; return what had been changed."""
        changed: list[str] = []
        for watched in self.snapshot:
            # A dict whose version has not moved has not been written to since it last matched:
            # nothing to compare (18 reads instead of ~3,300 comparisons after every run).
            if not watched.unchanged():
                changed += _compare_and_restore(watched)
                watched.mark_seen()  # after the restore, which is a change of its own
        if torch.get_default_dtype() != torch.float32:
            changed.append("the default dtype")
        return changed

    def stray_threads(self) -> int:
        return sum(1 for thread in threading.enumerate()
                   if thread.ident not in self.baseline_threads and thread.is_alive())


def _compare_and_restore(watched: _Watched) -> list[str]:
    """Put back every snapshot attribute of `watched` that is no longer the same object; return
    their names. Identity, never ==: a replacement's __eq__ is the learner's to write."""
    current = vars(watched.owner)
    keys, values = watched.keys, watched.values
    changed: list[str] = []
    if len(current) != len(keys) and isinstance(watched.owner, type):
        changed += _remove_shadows(watched, current)
    # Thousands of attributes: compare identities at C speed, and walk them one by one only when
    # something differs.
    if all(map(operator.is_, map(current.get, keys, repeat(_MISSING)), values)):
        return changed
    accepted = list(values)
    for position, (key, value) in enumerate(zip(keys, values)):
        now = current.get(key, _MISSING)
        if now is value:
            continue
        if (watched.name, key) in _WRAPPED_BY_DYNAMO and _torch_wrapped(now, value):
            accepted[position] = now
            continue
        changed.append(f"{watched.name}.{key}")
        _restore(watched.owner, key, value)
    watched.values = tuple(accepted)
    return changed


def _remove_shadows(watched: _Watched, current) -> list[str]:
    """Remove what a run added to a watched class over an attribute it inherits, and name it:
    `torch.Tensor.__eq__ = ...` adds a key (Tensor inherits __eq__ from torch._C.TensorBase), which
    the snapshot's keys alone never see. An added name that hides no inherited behaviour is left
    alone: a helper of the learner's, torch's own `___needs_generation_tag_patch` on nn.Module, and
    what Python caches on a class itself (`__annotations__` on Parameter, copyreg's `__slotnames__`)."""
    known = set(watched.keys)
    owner = watched.owner
    removed = []
    for key in [key for key in current if key not in known]:
        if any(_behaviour(vars(base).get(key, _MISSING)) for base in owner.__mro__[1:]):
            try:
                type.__delattr__(owner, key)
            except (AttributeError, TypeError):
                continue
            removed.append(f"{watched.name}.{key}")
    return removed


def _behaviour(value: object) -> bool:
    """A method, a function or a descriptor (property, slot wrapper): what a patch would change."""
    return value is not _MISSING and (callable(value) or hasattr(type(value), "__get__"))


def _environ_data() -> dict:
    """The environment as the OS holds it (bytes): comparing os.environ itself decodes every
    variable, 0.1 ms per run, a sixth of a one-line check's time in the worker."""
    data = getattr(os.environ, "_data", None)
    return dict(data) if isinstance(data, dict) else dict(os.environ)


_TORCH_DIR = os.path.dirname(torch.__file__) + os.sep
# What importing torch._dynamo replaces with a wrapper of its own (torch 2.x). Only these are
# accepted: a code object's file name is the learner's to choose, so "looks like torch's" cannot
# be the whole test, or any watched function could be kept replaced for the next runs.
_WRAPPED_BY_DYNAMO = {("torch", "manual_seed")}


def _torch_wrapped(now: object, original: object) -> bool:
    """Torch's own wrapper of the original, made when a run first imports torch._dynamo (the
    first optimizer step does: it wraps torch.manual_seed). Not a learner's change; restoring it
    would recycle the worker, and the next run would import torch._dynamo again (a second or more)."""
    if "torch._dynamo" not in sys.modules or getattr(now, "__wrapped__", None) is not original:
        return False
    code = getattr(now, "__code__", None)
    return code is not None and code.co_filename.startswith(_TORCH_DIR)


def _restore(owner: object, key: str, value: object) -> None:
    try:
        if isinstance(owner, type):
            type.__setattr__(owner, key, value)
        else:
            setattr(owner, key, value)
    except (AttributeError, TypeError):
        pass


def seed_everything(seed: int) -> None:
    # torch.manual_seed also queues a seed for every lazy accelerator backend (CUDA, XPU, MTIA),
    # recording a formatted stack each time: 0.17 ms per call, more than a whole run. Seed the
    # CPU generator directly, and an accelerator's only once it is initialised.
    torch.default_generator.manual_seed(seed)
    if torch.cuda.is_initialized():
        torch.cuda.manual_seed_all(seed)
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        torch.mps.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)
