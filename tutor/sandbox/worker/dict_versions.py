"""Whether a dict has changed since a moment, without reading its items: CPython's dict version.

CPython 3.11 to 3.13 stamp every dict with a version (PEP 509, `ma_version_tag`) that takes a new,
never reused value on every insertion, replacement and deletion, whatever the path (`setattr`,
`type.__setattr__`, `vars(module)[name] = ...`, `update`, `clear`). Reading it is a fraction of a
microsecond; comparing a module's thousands of attributes one by one takes tens of microseconds.

The field is private and read at its address, so it is trusted only on interpreters whose layout
is known (64-bit CPython 3.11-3.13 with the GIL) and only once a self-test on this very interpreter
has seen it move as documented; anywhere else `version_reader` answers None and the caller compares
the items themselves. Only code that writes memory directly (ctypes) could change a dict without
moving its version, and such code can rewrite anything the worker holds, snapshots included.
"""

from __future__ import annotations

import ctypes
import gc
import sys
import sysconfig
import types
from typing import Callable


def _layout_known() -> bool:
    return (sys.implementation.name == "cpython" and (3, 11) <= sys.version_info[:2] <= (3, 13)
            and not sysconfig.get_config_var("Py_GIL_DISABLED")
            and ctypes.sizeof(ctypes.c_void_p) == 8
            # PyObject_HEAD, then ma_used, ma_version_tag, ma_keys, ma_values: 8 bytes each.
            and dict.__basicsize__ == object.__basicsize__ + 32)


_USED_OFFSET = object.__basicsize__  # ma_used: the number of items, checked against len()
_VERSION_OFFSET = object.__basicsize__ + 8


class _Reader:
    """The version of one dict, read in place; holds the dict so its address stays its own."""

    __slots__ = ("_dict", "_field")

    def __init__(self, target: dict) -> None:
        self._dict = target
        self._field = ctypes.c_uint64.from_address(id(target) + _VERSION_OFFSET)

    def __call__(self) -> int:
        return self._field.value


def _underlying_dict(mapping: object) -> dict | None:
    """The dict itself: a module's __dict__, or the one behind a class's mappingproxy."""
    if type(mapping) is dict:
        return mapping
    if type(mapping) is types.MappingProxyType:
        referents = gc.get_referents(mapping)
        if len(referents) == 1 and type(referents[0]) is dict:
            return referents[0]
    return None


def _fits(target: dict) -> bool:
    return ctypes.c_ssize_t.from_address(id(target) + _USED_OFFSET).value == len(target)


def _self_test() -> bool:
    """Every kind of change moves the version, reading does not, and item counts sit where the
    layout says (so the version's address is right too)."""
    if not _layout_known():
        return False
    samples = [{}, {"a": 1}, {str(n): n for n in range(100)}]
    if not all(_fits(sample) for sample in samples):
        return False
    module = types.ModuleType("ptref_version_probe")
    probe_class = type("VersionProbe", (), {"kept": 1})
    module_dict, class_dict = vars(module), _underlying_dict(vars(probe_class))
    if class_dict is None or not _fits(module_dict) or not _fits(class_dict):
        return False
    module_version, class_version = _Reader(module_dict), _Reader(class_dict)
    changes: list[tuple[_Reader, Callable[[], object]]] = [
        (module_version, lambda: setattr(module, "x", 1)),
        (module_version, lambda: setattr(module, "x", 2)),
        (module_version, lambda: module_dict.__setitem__("y", 3)),
        (module_version, lambda: module_dict.update(y=4)),
        (module_version, lambda: delattr(module, "x")),
        (module_version, lambda: module_dict.pop("y")),
        (module_version, lambda: module_dict.setdefault("z", 5)),
        (module_version, lambda: module_dict.popitem()),
        (class_version, lambda: type.__setattr__(probe_class, "kept", 2)),
        (class_version, lambda: setattr(probe_class, "added", 3)),
        (class_version, lambda: delattr(probe_class, "added")),
    ]
    seen = set()
    for reader, change in changes:
        before = reader()
        change()
        after = reader()
        if after == before or after in seen:
            return False
        seen.update((before, after))
    before = module_version(), class_version()
    _ = getattr(module, "z", None), module_dict.get("z"), list(module_dict.items()), probe_class.kept
    return (module_version(), class_version()) == before


AVAILABLE = _self_test()


def version_reader(mapping: object) -> Callable[[], int] | None:
    """A function returning the version of `mapping` (a module's or class's `vars()`), or None
    where versions cannot be trusted on this interpreter or `mapping` is not a plain dict inside."""
    if not AVAILABLE:
        return None
    target = _underlying_dict(mapping)
    if target is None or not _fits(target):
        return None
    return _Reader(target)
