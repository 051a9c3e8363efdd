"""Expected values of `expected` checks: TOML literals and tensor files, as TensorValues (no torch)."""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Callable

import numpy as np

from tutor.lessons.model import ExpectedCheck
from tutor.sandbox.values import TensorValue

_NUMPY_FOR = {
    "bool": np.bool_, "uint8": np.uint8, "int8": np.int8, "int16": np.int16, "int32": np.int32,
    "int64": np.int64, "float16": np.float16, "bfloat16": np.float32, "float32": np.float32,
    "float64": np.float64, "complex64": np.complex64, "complex128": np.complex128,
}
_TORCH_NAME_FOR_NUMPY = {
    "bool": "bool", "uint8": "uint8", "int8": "int8", "int16": "int16", "int32": "int32", "int64": "int64",
    "float16": "float16", "float32": "float32", "float64": "float64", "complex64": "complex64",
    "complex128": "complex128",
}
_SAFETENSORS_DTYPES = {
    "BOOL": ("bool", "|b1"), "U8": ("uint8", "|u1"), "I8": ("int8", "|i1"), "I16": ("int16", "<i2"),
    "I32": ("int32", "<i4"), "I64": ("int64", "<i8"), "F16": ("float16", "<f2"), "BF16": ("bfloat16", "bf16"),
    "F32": ("float32", "<f4"), "F64": ("float64", "<f8"),
}


class ExpectedFileError(Exception):
    """A tensor file named by a lesson cannot be read (a lesson bug)."""


PtLoader = Callable[[Path, str | None], object]


def expected_value(check: ExpectedCheck, pack_dir: Path | None, load_pt: PtLoader) -> object:
    if check.file is None:
        return literal_tensor(check.value, check.dtype)
    path = (pack_dir or Path(".")) / check.file
    try:
        if path.suffix == ".npy":
            value = _from_numpy(np.load(path, allow_pickle=False))
        elif path.suffix == ".safetensors":
            value = read_safetensors(path, check.key)
        else:
            value = load_pt(path, check.key)
    except (OSError, ValueError, KeyError) as exc:
        raise ExpectedFileError(f"{path}: {exc}") from None
    if check.dtype is not None and isinstance(value, TensorValue):
        value = TensorValue(kind="tensor", dtype=check.dtype, shape=value.shape, array=value.array)
    return value


def literal_tensor(value: object, dtype: str | None) -> TensorValue:
    """A TOML literal as a tensor: the dtype given, else bool/int64/float32 as torch.tensor infers."""
    if dtype is None:
        flat = list(_flatten(value))
        if flat and all(isinstance(item, bool) for item in flat):
            dtype = "bool"
        elif all(isinstance(item, int) and not isinstance(item, bool) for item in flat):
            dtype = "int64"
        else:
            dtype = "float32"
    array = np.array(value, dtype=_NUMPY_FOR[dtype])
    return TensorValue(kind="tensor", dtype=dtype, shape=tuple(array.shape), array=array)


def _flatten(value: object):
    if isinstance(value, list):
        for item in value:
            yield from _flatten(item)
    else:
        yield value


def _from_numpy(array: np.ndarray) -> TensorValue:
    name = _TORCH_NAME_FOR_NUMPY.get(array.dtype.name)
    if name is None:
        raise ValueError(f"dtype {array.dtype} is not a tensor dtype")
    return TensorValue(kind="tensor", dtype=name, shape=tuple(array.shape), array=array)


def read_safetensors(path: Path, key: str | None) -> TensorValue:
    """Read one tensor from a .safetensors file (8-byte header length, JSON header, raw data)."""
    with open(path, "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        if length > 100 * 1024 * 1024:
            raise ValueError("safetensors header is implausibly large")
        header = json.loads(handle.read(length))
        names = [name for name in header if name != "__metadata__"]
        if key is None:
            if len(names) != 1:
                raise KeyError(f"the file holds {len(names)} tensors; name one with key = (one of {names[:8]})")
            key = names[0]
        if key not in header:
            raise KeyError(f"no tensor {key!r} in the file")
        entry = header[key]
        dtype_name, wire = _SAFETENSORS_DTYPES[entry["dtype"]]
        start, end = entry["data_offsets"]
        handle.seek(8 + length + start)
        raw = handle.read(end - start)
    shape = tuple(entry["shape"])
    if wire == "bf16":
        bits = np.frombuffer(raw, dtype="<u2")
        array = (bits.astype("<u4") << 16).view("<f4")
    else:
        array = np.frombuffer(raw, dtype=wire)
    if array.size != math.prod(shape):
        raise ValueError(f"tensor {key!r} has {array.size} values for shape {shape}")
    return TensorValue(kind="tensor", dtype=dtype_name, shape=shape, array=array.reshape(shape))
