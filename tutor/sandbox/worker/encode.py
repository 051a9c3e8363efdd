"""Learner values -> JSON nodes plus raw buffers (decoded by tutor/sandbox/values.py)."""

from __future__ import annotations

import warnings

import numpy as np
import torch

from tutor.sandbox.protocol import MAX_HEADER_BYTES, MAX_REPLY_BYTES

MAX_NODES = 20_000
MAX_DEPTH = 32
# What one reply's buffers may hold together: the tutor refuses a reply promising more.
MAX_VALUE_BYTES = MAX_REPLY_BYTES - MAX_HEADER_BYTES
MAX_TEXT = 4_000

_FLOAT8_WIRE = {"float8_e4m3fn": "float8_e4m3fnbits", "float8_e5m2": "float8_e5m2bits"}
_NUMPY_NATIVE = {
    torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64,
    torch.float16, torch.float32, torch.float64, torch.complex64, torch.complex128,
}


def short_repr(value: object, limit: int = 600) -> str:
    try:
        text = repr(value)
    except Exception as exc:  # a learner's __repr__ may raise
        text = f"<{type(value).__name__}: repr failed: {exc}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Encoder:
    def __init__(self) -> None:
        self.buffers: list[memoryview] = []
        self.nodes = 0
        self.total_bytes = 0

    def encode(self, value: object, depth: int = 0) -> dict:
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            return {"t": "object", "type": type(value).__name__, "repr": "<too large or deep to compare>"}
        if value is None:
            return {"t": "none"}
        if isinstance(value, bool):
            return {"t": "bool", "v": value}
        if isinstance(value, int):
            return {"t": "int", "v": int(value)} if abs(value) < 2**63 else {"t": "float", "v": float(value)}
        if isinstance(value, float):
            return {"t": "float", "v": float(value)}
        if isinstance(value, complex):
            return {"t": "complex", "re": value.real, "im": value.imag}
        if isinstance(value, str):
            return {"t": "str", "v": value[:MAX_TEXT]}
        if isinstance(value, torch.Tensor):
            return self.tensor(value)
        if isinstance(value, np.ndarray):
            return self.ndarray(value)
        if isinstance(value, np.generic) and value.dtype.kind in "biuf":
            return {"t": "npscalar", "dtype": value.dtype.str, "v": value.item()}
        if isinstance(value, np.complexfloating):
            return {"t": "complex", "re": float(value.real), "im": float(value.imag)}
        if isinstance(value, torch.Size):
            return {"t": "size", "v": [int(n) for n in value]}
        if isinstance(value, torch.dtype):
            return {"t": "dtype", "v": str(value).removeprefix("torch.")}
        if isinstance(value, torch.device):
            return {"t": "device", "v": str(value)}
        if isinstance(value, (list, tuple)) and type(value) in (list, tuple) or _is_namedtuple(value):
            kind = "list" if isinstance(value, list) else "tuple"
            return {"t": kind, "items": [self.encode(item, depth + 1) for item in value]}
        if isinstance(value, dict):
            return {"t": "dict", "items": [[self.encode(k, depth + 1), self.encode(v, depth + 1)]
                                           for k, v in value.items()]}
        return {"t": "object", "type": _type_name(value), "repr": short_repr(value, MAX_TEXT)}

    def tensor(self, tensor: torch.Tensor) -> dict:
        node: dict = {
            "t": "tensor",
            "cls": type(tensor).__name__,
            "dtype": str(tensor.dtype).removeprefix("torch."),
            "shape": [int(n) for n in tensor.shape],
            "device": str(tensor.device),
            "requires_grad": bool(tensor.requires_grad),
            "is_leaf": bool(tensor.is_leaf),
            "grad_fn": type(tensor.grad_fn).__name__ if tensor.grad_fn is not None else None,
        }
        if tensor.is_leaf or tensor.retains_grad:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                grad = tensor.grad
            if grad is not None:
                node["grad"] = self.tensor(grad)
        self._attach_data(tensor, node)
        return node

    def _attach_data(self, tensor: torch.Tensor, node: dict) -> None:
        data = tensor.detach()
        if data.device.type == "meta":
            node["note"] = "a meta tensor has no values"
            return
        if data.layout != torch.strided:
            data = data.to_dense()
        if data.is_quantized:
            data = data.dequantize()
            node["note"] = "quantized: compared after dequantize()"
        if not self._room_for(data.element_size() * data.numel()):
            node["note"] = "too large to send for comparison"
            return
        data = data.cpu().resolve_conj().resolve_neg().contiguous()
        name = node["dtype"]
        if data.dtype == torch.bfloat16:
            array, wire = data.view(torch.int16).numpy(), "bf16bits"
        elif name in _FLOAT8_WIRE:
            array, wire = data.view(torch.uint8).numpy(), _FLOAT8_WIRE[name]
        elif data.dtype == torch.complex32:
            array = data.to(torch.complex64).numpy()
            wire = array.dtype.str
        elif data.dtype in _NUMPY_NATIVE:
            array = data.numpy()
            wire = array.dtype.str
        else:
            try:
                array = data.numpy()
                wire = array.dtype.str
            except (TypeError, RuntimeError):
                node["note"] = f"values of dtype {name} cannot be compared"
                return
        node["wire"] = wire
        node["buf"] = len(self.buffers)
        self.buffers.append(_bytes_of(array))

    def _room_for(self, size: int) -> bool:
        if self.total_bytes + size > MAX_VALUE_BYTES:
            return False
        self.total_bytes += size
        return True

    def ndarray(self, array: np.ndarray) -> dict:
        node = {"t": "ndarray", "dtype": str(array.dtype), "shape": [int(n) for n in array.shape],
                "device": "cpu", "requires_grad": False}
        if array.dtype.kind not in "biufc":
            return {"t": "object", "type": "numpy.ndarray", "repr": short_repr(array, MAX_TEXT)}
        if not self._room_for(array.nbytes):
            node["note"] = "too large to send for comparison"
            return node
        node["wire"] = array.dtype.str
        node["buf"] = len(self.buffers)
        self.buffers.append(_bytes_of(array))
        return node


def _bytes_of(array: np.ndarray) -> memoryview:
    """The array's bytes, in C order. Flattened first: memoryview refuses to cast a view with a 0 in
    a multi-dimensional shape (an empty (1, 0) result), and the reader reshapes from the header anyway."""
    return memoryview(np.ascontiguousarray(array).reshape(-1)).cast("B")


def _is_namedtuple(value: object) -> bool:
    return isinstance(value, tuple) and hasattr(value, "_fields")


def _type_name(value: object) -> str:
    kind = type(value)
    module = kind.__module__
    return kind.__qualname__ if module in ("builtins", "__main__") else f"{module}.{kind.__qualname__}"
