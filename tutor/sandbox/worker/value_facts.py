"""Describe a value in a few words, and step to one of its attributes, without running learner code.

Only exact, known types are described or looked into: plain tensors and parameters, torch.nn modules
(through the instance dictionary nn.Module's own descriptor gives, never through the learner's class),
None, numbers, devices, lists and tuples, numpy arrays. A learner's class can define properties,
__getattr__, __repr__ or __torch_function__; none of them is ever called from here.
"""

from __future__ import annotations

import warnings
from types import GetSetDescriptorType, ModuleType

import torch
from torch import nn

MISSING = object()

_PLAIN_TENSORS = (torch.Tensor, nn.Parameter)
_TENSOR_ATTRIBUTES = ("grad", "data")
_SHOWN_VALUES = 6
_LISTED = 4
_MAX_CHECKED = 10_000
_MAX_MODULES = 2_000
_MODULE_DICT = nn.Module.__dict__["__dict__"]  # nn.Module's own descriptor for the instance dict
_TYPE_NAME = type.__dict__["__name__"]
_TYPE_MODULE = type.__dict__["__module__"]
_TYPE_DICT = type.__dict__["__dict__"]
_TYPE_MRO = type.__dict__["__mro__"]


def describe(value: object) -> str | None:
    """'float32 (64, 28, 28) on cpu', 'Linear(784 -> 64), float32 on cpu', 'None'; None if not told."""
    try:
        return _describe(value)
    except Exception:
        return None


def attribute(value: object, name: str) -> object:
    """`value.name` where that is plain data on a known type; MISSING otherwise."""
    try:
        return _attribute(value, name)
    except Exception:
        return MISSING


def _describe(value: object) -> str | None:
    kind = type(value)
    if value is None:
        return "None"
    if issubclass(kind, torch.Tensor):
        return _tensor(value) if kind in _PLAIN_TENSORS else f"a {_name(kind)} (a Tensor subclass)"
    if issubclass(kind, nn.Module):
        return _module(value)
    if kind is bool or kind is float or (kind is int and abs(value) < 10**15):
        return f"the {kind.__name__} {value!r}"
    if kind is torch.device or kind is torch.dtype:
        return f"the {kind.__name__} {value}"
    if kind is torch.Size:
        return f"torch.Size({list(value)})"
    if kind is list or kind is tuple:
        return _sequence(value)
    return _ndarray(value)


def _tensor(tensor: torch.Tensor) -> str:
    dtype = str(tensor.dtype).removeprefix("torch.")
    shape = tuple(tensor.shape)
    text = f"a {dtype} scalar" if not shape else f"{dtype} {_shape(shape)}"
    text += f" on {tensor.device}"
    notes = []
    if tensor.requires_grad:
        notes.append("requires grad")
    if tensor.layout != torch.strided:
        notes.append(str(tensor.layout).removeprefix("torch."))
    elif not tensor.is_contiguous():
        notes.append("not contiguous")
    values = _values(tensor)
    return text + "".join(f", {note}" for note in notes) + (f": {values}" if values else "")


def _shape(shape: tuple[int, ...]) -> str:
    return f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(str(size) for size in shape) + ")"


def _values(tensor: torch.Tensor) -> str:
    # Indices, labels and single numbers (a loss) are worth reading; a few float weights are not.
    count = tensor.numel()
    if count > _SHOWN_VALUES or tensor.device.type != "cpu" or tensor.layout != torch.strided:
        return ""
    if count != 1 and (tensor.is_floating_point() or tensor.is_complex()):
        return ""
    return _number_text(tensor.detach().tolist())


def _number_text(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_number_text(item) for item in value) + "]"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _module(module: nn.Module) -> str:
    kind = type(module)
    name = _name(kind)
    state = _MODULE_DICT.__get__(module)
    if type(state.get("_modules")) is not dict or type(state.get("_parameters")) is not dict:
        return (f"a {name} whose nn.Module.__init__ has not run (its __init__ must call super().__init__() "
                "before anything else)")
    first, count = _parameters(module)
    where = f", {str(first.dtype).removeprefix('torch.')} on {first.device}" if first is not None else ""
    if _is_torch_layer(kind):
        return _layer(name, state) + where
    children = [key for key in state["_modules"] if type(key) is str]
    layers = f": layers {_listing(children)};" if children else " with"
    return f"a {name} (nn.Module){layers} {count:,} parameters{where}"


def _is_torch_layer(kind: type) -> bool:
    module = _TYPE_MODULE.__get__(kind)
    return type(module) is str and module.startswith("torch.nn.")


def _layer(name: str, state: dict) -> str:
    """A torch.nn layer by the numbers it was made with (read from its instance dict)."""
    def get(key: str) -> object:
        value = state.get(key)
        return value if type(value) in (int, float, bool, tuple) else "?"

    if name in ("Linear", "LazyLinear"):
        return f"{name}({get('in_features')} -> {get('out_features')})"
    if name.startswith(("Conv", "LazyConv")):
        kernel = get("kernel_size")
        kernel = "x".join(str(size) for size in kernel) if type(kernel) is tuple else kernel
        return f"{name}({get('in_channels')} -> {get('out_channels')} channels, kernel {kernel})"
    if name == "Embedding":
        return f"Embedding({get('num_embeddings')} rows of size {get('embedding_dim')})"
    if name in ("RNN", "LSTM", "GRU"):
        batch_first = ", batch_first" if state.get("batch_first") is True else ""
        return f"{name}({get('input_size')} -> {get('hidden_size')}{batch_first})"
    if name.startswith(("BatchNorm", "InstanceNorm")):
        return f"{name}({get('num_features')} features)"
    if name in ("Sequential", "ModuleList", "ModuleDict"):
        children = [_name(type(child)) for child in state["_modules"].values()]
        return f"{name} of {len(children)}: {_listing(children)}" if children else f"an empty {name}"
    return name


def _parameters(module: nn.Module) -> tuple[torch.Tensor | None, int]:
    """The first parameter and the number of parameter elements, walking instance dicts only."""
    first, count, seen = None, 0, set()
    pending, visited = [module], 0
    while pending and visited < _MAX_MODULES:
        current = pending.pop(0)
        visited += 1
        state = _MODULE_DICT.__get__(current)
        for parameter in _dict_values(state.get("_parameters")):
            if type(parameter) in _PLAIN_TENSORS and id(parameter) not in seen:
                seen.add(id(parameter))
                first = parameter if first is None else first
                count += parameter.numel()
        pending.extend(child for child in _dict_values(state.get("_modules"))
                       if issubclass(type(child), nn.Module))
    return first, count


def _dict_values(table: object) -> list:
    return list(table.values()) if type(table) is dict else []


def _sequence(items: list | tuple) -> str:
    kind = type(items).__name__
    if not items:
        return f"an empty {kind}"
    shown = items[:_LISTED]
    more = ", ..." if len(items) > _LISTED else ""
    every = items if len(items) <= _MAX_CHECKED else ()  # a claim about all items needs them all checked
    if every and all(type(item) in _PLAIN_TENSORS for item in every):
        shapes = ", ".join(_shape(tuple(item.shape)) if item.dim() else "scalar" for item in shown)
        return f"a {kind} of {len(items)} tensors, shapes {shapes}{more}"
    if every and all(type(item) is list or type(item) is tuple for item in every):
        lengths = ", ".join(str(len(item)) for item in shown)
        return f"a {kind} of {len(items)} sequences, lengths {lengths}{more}"
    names = ", ".join(_name(type(item)) for item in shown) + more
    return f"a {kind} of {len(items)} ({names})"


def _ndarray(value: object) -> str | None:
    import numpy

    if type(value) is not numpy.ndarray:
        return None
    return f"a numpy {value.dtype} array {_shape(value.shape) if value.shape else '(scalar)'}"


def _attribute(value: object, name: str) -> object:
    kind = type(value)
    if issubclass(kind, torch.Tensor):
        if kind not in _PLAIN_TENSORS or name not in _TENSOR_ATTRIBUTES:
            return MISSING
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # .grad of a non-leaf warns; reading it is still fine
            return getattr(value, name)
    if _defined_on_class(kind, name):
        return MISSING  # a property or method of the learner's class would run their code
    if issubclass(kind, nn.Module):
        state = _MODULE_DICT.__get__(value)
        for table in ("_parameters", "_buffers", "_modules"):
            entries = state.get(table)
            if type(entries) is dict and name in entries:
                return entries[name]
    else:
        state = _instance_dict(value)
    return state[name] if type(state) is dict and name in state else MISSING


def _instance_dict(value: object) -> dict | None:
    """The instance dict of a learner's plain object (a Dataset, say), through its class's slot."""
    kind = type(value)
    if issubclass(kind, (type, ModuleType)):
        return None  # `torch.float32`, `nn.Linear`: names of things, not values of the learner's
    for klass in _TYPE_MRO.__get__(kind):
        slot = _TYPE_DICT.__get__(klass).get("__dict__")
        if slot is not None:
            # Only the interpreter's own slot: a `__dict__` property of the learner's would run code.
            return slot.__get__(value) if type(slot) is GetSetDescriptorType else None
    return None


def _defined_on_class(kind: type, name: str) -> bool:
    # type's own descriptors, so that a metaclass of the learner's cannot answer instead
    return any(name in _TYPE_DICT.__get__(klass) for klass in _TYPE_MRO.__get__(kind) if klass is not object)


def _name(kind: type) -> str:
    name = _TYPE_NAME.__get__(kind)
    return name if type(name) is str else "object"


def _listing(names: list[str]) -> str:
    return ", ".join(names[:_LISTED]) + (", ..." if len(names) > _LISTED else "")
