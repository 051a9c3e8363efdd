"""A value that crossed the wire, written back as Python source: what a learner who typed the
reference's numbers into their answer would have written (lint's hard-coded-answer attack)."""

from __future__ import annotations

import math

import numpy as np

from tutor.sandbox.values import Opaque, Special, TensorValue

MAX_ELEMENTS = 100_000  # nobody types more numbers than this into an answer


class NotLiteral(Exception):
    """The value cannot be written as a literal (a module, an object, a huge tensor)."""


def literal(value: object) -> str:
    """Python source that rebuilds `value` (needs `torch` and `np` imported, and `device`)."""
    if isinstance(value, TensorValue):
        return _tensor(value)
    if isinstance(value, Special):
        if value.kind == "dtype":
            return f"torch.{value.value}"
        if value.kind == "device":
            return f"torch.device({str(value.value)!r})"
        return f"torch.Size({list(value.value)!r})"
    if isinstance(value, Opaque):
        raise NotLiteral(f"a {value.type_name} cannot be typed in")
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return repr(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, complex):
        return f"complex({_float(value.real)}, {_float(value.imag)})"
    if isinstance(value, np.generic):
        return f"np.{value.dtype.name}({literal(value.item())})"
    if isinstance(value, tuple):
        items = ", ".join(literal(item) for item in value)
        return f"({items}{',' if len(value) == 1 else ''})"
    if isinstance(value, list):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    raise NotLiteral(f"a {type(value).__name__} cannot be typed in")


def _float(number: float) -> str:
    if math.isnan(number):
        return "float('nan')"
    if math.isinf(number):
        return "float('inf')" if number > 0 else "float('-inf')"
    return repr(number)


def _nested(array: np.ndarray) -> str:
    if array.ndim == 0:
        return literal(array.item())
    return "[" + ", ".join(_nested(row) for row in array) + "]"


def _tensor(value: TensorValue) -> str:
    if value.array is None:
        raise NotLiteral(f"its values did not travel ({value.note or 'no data'})")
    if value.numel > MAX_ELEMENTS:
        raise NotLiteral(f"{value.numel:,} numbers are too many to type in")
    if value.kind == "ndarray":
        dtype = f"dtype=np.{value.array.dtype.name}"
        if value.numel == 0:  # nested lists lose the shape of an empty array
            return f"np.zeros({value.shape!r}, {dtype})"
        return f"np.array({_nested(value.array)}, {dtype})"
    options = [f"dtype=torch.{value.dtype}"]
    if value.device != "cpu":
        options.append("device=device")
    if value.requires_grad and value.dtype.startswith(("float", "complex", "bfloat")):
        options.append("requires_grad=True")
    if value.numel == 0:
        source = f"torch.zeros({value.shape!r}, {', '.join(options)})"
    else:
        source = f"torch.tensor({_nested(value.array)}, {', '.join(options)})"
    if value.grad is not None:
        # A leaf with a .grad as the reference had: `t.grad = ...` needs the name, so a helper does it.
        source = f"_with_grad({source}, {_tensor(value.grad)})"
    return source


GRAD_HELPER = """
def _with_grad(tensor, grad):
    tensor.grad = grad
    return tensor
"""
