"""Small readings of PyTorch's messages shared by several entries: dtype names, shapes, counts."""

from __future__ import annotations

import math

# The names PyTorch's C++ side prints for dtypes ("Double", "long int", "torch.cuda.FloatTensor")
# mapped to the names a learner writes in Python (torch.float64, torch.int64, ...).
_SCALAR_TYPES = {
    "Float": "float32", "Double": "float64", "Half": "float16", "BFloat16": "bfloat16",
    "Long": "int64", "Int": "int32", "Short": "int16", "Char": "int8", "Byte": "uint8",
    "Bool": "bool", "ComplexFloat": "complex64", "ComplexDouble": "complex128",
}
_C_TYPES = {
    "float": "float32", "double": "float64", "long int": "int64", "long": "int64", "int": "int32",
    "short int": "int16", "short": "int16", "signed char": "int8", "unsigned char": "uint8",
    "bool": "bool", "c10::Half": "float16", "c10::BFloat16": "bfloat16",
    "c10::complex<float>": "complex64", "c10::complex<double>": "complex128",
}
INTEGER_DTYPES = {"int64", "int32", "int16", "int8", "uint8", "bool"}


def torch_dtype(name: str) -> str:
    """'Double', 'double', 'torch.DoubleTensor', 'DoubleType' or 'float64' -> 'float64' ('' if unknown)."""
    name = name.strip()
    if name in _SCALAR_TYPES.values():
        return name
    if name in _C_TYPES:
        return _C_TYPES[name]
    if name.startswith("torch."):
        name = name.rsplit(".", 1)[-1]
    for prefix in ("CUDA", "MPS", "XPU", "CPU"):
        name = name.removeprefix(prefix)
    name = name.removesuffix("Tensor").removesuffix("Type")
    return _SCALAR_TYPES.get(name, "")


def dtype_label(name: str) -> str:
    """'Double' -> 'Double (float64)'; 'double' -> 'float64'; unknown names unchanged."""
    dtype = torch_dtype(name)
    if not dtype or dtype == name:
        return name
    return f"{name} ({dtype})" if name in _SCALAR_TYPES else dtype


def as_float_hint(name: str) -> str:
    """What to call to convert a tensor to the dtype named in a message."""
    dtype = torch_dtype(name)
    return {"float32": ".float()", "float64": ".double()", "int64": ".long()"}.get(
        dtype, f".to(torch.{dtype})" if dtype else ".to(other.dtype)")


def sizes(text: str) -> list[int]:
    """'8, 1, 28, 28' or '3 x 3' -> [8, 1, 28, 28] / [3, 3]."""
    return [int(part) for part in text.replace("x", ",").split(",") if part.strip()]


def square_side(n: int) -> int | None:
    side = math.isqrt(n)
    return side if side > 1 and side * side == n else None


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
