"""The worker's after-run repair of monkeypatched modules and classes (tutor/sandbox/worker/state.py).

Most tests call `GlobalState.repair` in this process, on the real torch, twice over: with dict
versions (the fast path: only dicts whose version moved are compared) and without them (the
fallback on interpreters without trustworthy versions: every dict is compared each time). The last
ones go through a real worker.
"""

from __future__ import annotations

import math
import operator
import sys

import numpy as np
import pytest
import torch

from tutor.lessons import Catalog
from tutor.sandbox.worker import dict_versions, state as state_module
from tutor.sandbox.worker.state import GlobalState
from tutor.session import Session, SessionConfig

from conftest import FAULTS

KNOWN_LAYOUT = sys.implementation.name == "cpython" and (3, 11) <= sys.version_info[:2] <= (3, 13)


class Liar:
    """Equal to everything: an `==` based comparison would take it for the original."""

    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


@pytest.fixture(params=["versions", "fallback"])
def state(request, monkeypatch):
    if request.param == "fallback":
        monkeypatch.setattr(state_module, "version_reader", lambda mapping: None)
    elif not dict_versions.AVAILABLE:
        pytest.skip("dict versions are not trusted on this interpreter")
    global_state = GlobalState(1, torch.device("cpu"))
    assert all((watched.version is None) == (request.param == "fallback") for watched in global_state.snapshot)
    yield global_state
    global_state.repair()  # whatever a failed test left patched


@pytest.mark.skipif(not KNOWN_LAYOUT, reason="versions are only read on CPython 3.11-3.13")
def test_dict_versions_pass_their_self_test_here():
    assert dict_versions.AVAILABLE
    assert dict_versions.version_reader(vars(torch)) is not None
    assert dict_versions.version_reader(vars(torch.Tensor)) is not None
    assert dict_versions.version_reader({"a": 1}.items()) is None  # not a dict, nor a class's


@pytest.mark.skipif(not dict_versions.AVAILABLE, reason="dict versions are not trusted on this interpreter")
def test_a_version_moves_on_every_kind_of_write_and_only_then():
    read = dict_versions.version_reader(vars(torch.nn.Module))
    original = torch.nn.Module.__call__
    before = read()
    _ = torch.nn.Module.__call__, vars(torch.nn.Module).get("__call__"), list(vars(torch.nn.Module).items())
    assert read() == before
    try:
        type.__setattr__(torch.nn.Module, "__call__", lambda self, *a: None)
        assert read() != before
    finally:
        torch.nn.Module.__call__ = original
    module_version = dict_versions.version_reader(vars(math))
    before = module_version()
    vars(math)["ptref_added"] = 1
    del vars(math)["ptref_added"]
    assert module_version() != before


PATCHES = {
    "setattr on a module": ("torch", "allclose", lambda: setattr(torch, "allclose", lambda *a, **k: True)),
    "the module's dict": ("torch", "allclose", lambda: vars(torch).__setitem__("allclose", lambda *a: True)),
    "getattr tricks": ("torch.nn.Module", "__call__",
                       lambda: setattr(getattr(getattr(torch, "nn"), "Module"), "__call__", lambda *a: None)),
    "type.__setattr__ on Tensor": ("torch.Tensor", "backward",
                                   lambda: type.__setattr__(torch.Tensor, "backward", lambda self, *a: 0)),
    "a value equal to everything": ("torch", "allclose", lambda: setattr(torch, "allclose", Liar())),
    "a numpy object array": ("torch", "allclose",
                             lambda: setattr(torch, "allclose", np.array([torch.allclose], dtype=object))),
    "an equal float, another object": ("math", "pi", lambda: setattr(math, "pi", float(repr(math.pi)))),
    "a deleted attribute": ("torch.Tensor", "__repr__", lambda: delattr(torch.Tensor, "__repr__")),
    "builtins": ("builtins", "print", lambda: setattr(sys.modules["builtins"], "print", lambda *a: None)),
}


@pytest.mark.parametrize("patch", PATCHES.values(), ids=PATCHES.keys())
def test_a_patched_attribute_is_put_back_and_reported(state, patch):
    owner_name, key, apply = patch
    owner = next(watched.owner for watched in state.snapshot if watched.name == owner_name)
    original = vars(owner)[key]
    apply()
    assert vars(owner).get(key) is not original
    assert state.repair() == [f"{owner_name}.{key}"]
    assert vars(owner)[key] is original
    assert state.repair() == []  # put back, and known to be back


def test_several_owners_changed_in_one_run_are_all_reported(state):
    originals = torch.allclose, torch.Tensor.backward, np.allclose
    torch.allclose, np.allclose = Liar(), Liar()
    torch.Tensor.backward = lambda self, *a: None
    assert sorted(state.repair()) == ["numpy.allclose", "torch.Tensor.backward", "torch.allclose"]
    assert all(map(operator.is_, (torch.allclose, torch.Tensor.backward, np.allclose), originals))


def test_a_change_undone_by_the_run_itself_is_not_reported(state):
    original = torch.allclose
    torch.allclose = Liar()
    torch.allclose = original
    assert state.repair() == []
    torch.allclose = Liar()  # and a later change is still seen (the version was taken again)
    assert state.repair() == ["torch.allclose"]
    assert torch.allclose is original


def test_added_attributes_are_left_alone(state):
    """torch adds attributes itself (torch._dynamo, submodules as they are imported): only the
    snapshot's attributes are held to it, as before."""
    torch.ptref_added = 1
    try:
        assert state.repair() == []
        assert torch.ptref_added == 1
    finally:
        del torch.ptref_added
    assert state.repair() == []


def test_a_method_added_over_an_inherited_one_is_removed_and_reported(state):
    """Tensor inherits __eq__ and sum from torch._C.TensorBase: setting them on torch.Tensor adds
    keys the snapshot never had."""
    torch.Tensor.__eq__ = lambda self, other: True
    torch.Tensor.sum = lambda self, *args, **kwargs: 42
    torch.nn.Parameter.__repr__ = lambda self: "hidden"
    assert sorted(state.repair()) == ["torch.Tensor.__eq__", "torch.Tensor.sum", "torch.nn.Parameter.__repr__"]
    assert not bool((torch.ones(2) == torch.zeros(2)).any())
    assert torch.ones(3).sum().item() == 3.0
    assert "Parameter" in repr(torch.nn.Parameter(torch.ones(1)))
    assert state.repair() == []


def test_what_python_caches_on_a_class_and_new_helpers_are_not_changes(state):
    import copy

    torch.nn.Parameter.__annotations__  # created on first access, over Tensor's
    copy.deepcopy(torch.nn.Parameter(torch.ones(2)))  # copyreg caches __slotnames__
    torch.Tensor.ptref_helper = lambda self: 1
    try:
        assert state.repair() == []
        assert torch.ones(1).ptref_helper() == 1
    finally:
        del torch.Tensor.ptref_helper


@pytest.fixture(scope="module")
def session():
    with Session(Catalog.load([FAULTS]), SessionConfig(spare=True)) as session:
        session.ready()
        yield session


WORKER_PATCHES = [
    "vars(torch)['allclose'] = lambda *a, **k: True\n",
    "setattr(getattr(torch, 'nn').Module, '__call__', lambda self, *a: 0)\n",
    "type.__setattr__(torch.Tensor, '__len__', lambda self: 7)\n",
    "import math\nmath.pi = float(repr(math.pi))\n",
    "torch.Tensor.__eq__ = lambda self, other: True\n",
]
NEXT_RUN = ("import math\nprint(torch.allclose(torch.zeros(1), torch.ones(1)), len(torch.ones(2)),\n"
            "      torch.nn.Identity()(torch.ones(1)).item(), math.pi is vars(math)['pi'],\n"
            "      bool((torch.ones(1) == torch.zeros(1)).all()))\n")


@pytest.mark.parametrize("patch", WORKER_PATCHES)
def test_a_worker_undoes_a_patch_before_the_next_run_and_is_replaced(session, patch):
    exercise = session.catalog.exercise("faults/double")
    pool = session.pool("cpu")
    session.check(exercise, "y = x * 2", record=False)
    recycled = pool.recycled
    patched = session.check(exercise, "import torch\n" + patch + "y = x * 2", record=False)
    assert patched.passed
    assert pool.recycled == recycled + 1  # reported: the worker is replaced to be sure
    verdict = session.check(exercise, "import torch\n" + NEXT_RUN + "y = x * 2", record=False)
    assert verdict.passed and verdict.stdout == "False 2 1.0 True False\n"
