"""Values as the tutor sees them after they crossed the wire (numpy, never torch).

The worker encodes a learner's variables into JSON nodes plus raw buffers
(tutor/sandbox/worker/encode.py); `decode` turns them back into these plain objects. Tensors keep
their torch dtype name, device and autograd flags beside a numpy array of their values. bfloat16 and
float8 travel as integer bits and are widened exactly here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from tutor.sandbox.protocol import ProtocolError


@dataclass(frozen=True)
class TensorValue:
    kind: str  # "tensor" (torch) or "ndarray" (numpy)
    dtype: str  # torch's name without the prefix: "float32", "bfloat16", ...
    shape: tuple[int, ...]
    device: str = "cpu"
    requires_grad: bool = False
    array: np.ndarray | None = None  # None when the values did not travel (meta, too large)
    grad: "TensorValue | None" = None
    grad_fn: str | None = None
    is_leaf: bool = True
    cls: str = "Tensor"
    note: str = ""

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    def describe(self) -> str:
        what = "tensor" if self.kind == "tensor" else "NumPy array"
        return f"a {what} of shape {format_shape(self.shape)} and dtype {self.dtype}"


@dataclass(frozen=True)
class Special:
    """A torch.dtype, torch.device or torch.Size, which compare by their value."""

    kind: str  # "dtype" | "device" | "size"
    value: object


@dataclass(frozen=True)
class Opaque:
    """Anything the wire does not carry by value (a module, a function...): its type and repr."""

    type_name: str
    text: str


def format_shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def decode(node: dict, buffers: list[bytearray]) -> object:
    if not isinstance(node, dict):
        raise ProtocolError(f"a value node must be an object, not {type(node).__name__}")
    kind = node.get("t")
    if kind == "none":
        return None
    if kind in ("bool", "int", "float", "str"):
        return node["v"]
    if kind == "complex":
        return complex(node["re"], node["im"])
    if kind == "list":
        return [decode(item, buffers) for item in node["items"]]
    if kind == "tuple":
        return tuple(decode(item, buffers) for item in node["items"])
    if kind == "dict":
        return {_hashable(decode(k, buffers)): decode(v, buffers) for k, v in node["items"]}
    if kind in ("tensor", "ndarray"):
        return _decode_tensor(node, buffers)
    if kind == "npscalar":
        return np.array(node["v"], dtype=node["dtype"])[()]
    if kind in ("dtype", "device"):
        return Special(kind, node["v"])
    if kind == "size":
        return Special("size", tuple(node["v"]))
    if kind == "object":
        return Opaque(node.get("type", "object"), node.get("repr", ""))
    raise ProtocolError(f"unknown value node {kind!r}")


def _hashable(key: object) -> object:
    try:
        hash(key)
        return key
    except TypeError:
        return repr(key)


def _decode_tensor(node: dict, buffers: list[bytearray]) -> TensorValue:
    shape = tuple(int(n) for n in node["shape"])
    array = None
    index = node.get("buf")
    if index is not None:
        if not 0 <= index < len(buffers):
            raise ProtocolError("tensor refers to a missing buffer")
        array = _array_from_wire(buffers[index], node["wire"], shape)
    grad = node.get("grad")
    return TensorValue(
        kind=node["t"], dtype=node["dtype"], shape=shape, device=node.get("device", "cpu"),
        requires_grad=bool(node.get("requires_grad", False)), array=array,
        grad=_decode_tensor(grad, buffers) if grad else None, grad_fn=node.get("grad_fn"),
        is_leaf=bool(node.get("is_leaf", True)), cls=node.get("cls", "Tensor"), note=node.get("note", ""),
    )


def _array_from_wire(buffer: bytearray, wire: str, shape: tuple[int, ...]) -> np.ndarray:
    count = math.prod(shape)
    if wire == "bf16bits":
        bits = _frombuffer(buffer, np.dtype("<u2"), count)
        return (bits.astype("<u4") << 16).view("<f4").reshape(shape)
    if wire in _FLOAT8:
        bits = _frombuffer(buffer, np.dtype("u1"), count)
        return _float8_table(wire)[bits].reshape(shape)
    try:
        dtype = np.dtype(wire)
    except TypeError:
        raise ProtocolError(f"unknown wire dtype {wire!r}") from None
    if dtype.kind not in "biufc":
        raise ProtocolError(f"wire dtype {wire!r} is not numeric")
    return _frombuffer(buffer, dtype, count).reshape(shape)


def _frombuffer(buffer: bytearray, dtype: np.dtype, count: int) -> np.ndarray:
    if len(buffer) != count * dtype.itemsize:
        raise ProtocolError(f"buffer holds {len(buffer)} bytes, the header promised {count * dtype.itemsize}")
    return np.frombuffer(buffer, dtype=dtype, count=count)


# (exponent bits, mantissa bits, bias, has infinities)
_FLOAT8 = {
    "float8_e4m3fnbits": (4, 3, 7, False),
    "float8_e5m2bits": (5, 2, 15, True),
}


@lru_cache(maxsize=None)
def _float8_table(wire: str) -> np.ndarray:
    """All 256 values of a float8 format as float32, decoded from the bit layout."""
    exp_bits, man_bits, bias, has_inf = _FLOAT8[wire]
    table = np.zeros(256, dtype=np.float32)
    top = (1 << exp_bits) - 1
    for bits in range(256):
        sign = -1.0 if bits & 0x80 else 1.0
        exponent = (bits >> man_bits) & top
        mantissa = bits & ((1 << man_bits) - 1)
        if exponent == 0:
            value = mantissa / (1 << man_bits) * 2.0 ** (1 - bias)
        elif has_inf and exponent == top:
            value = math.inf if mantissa == 0 else math.nan
        elif not has_inf and exponent == top and mantissa == (1 << man_bits) - 1:
            value = math.nan
        else:
            value = (1 + mantissa / (1 << man_bits)) * 2.0 ** (exponent - bias)
        table[bits] = sign * value
    return table
