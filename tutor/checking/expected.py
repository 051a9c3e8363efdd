"""Expected values of `expected` checks: TOML literals and tensor files, as TensorValues (no torch)."""

from __future__ import annotations

import json
import math
import os
import re
import struct
from pathlib import Path
from typing import Callable

import numpy as np

from tutor.lessons.model import ExpectedCheck
from tutor.options import format_size
from tutor.sandbox.values import TensorValue

# A pack's files are read into the tutor's memory: a header may not make it allocate more than this,
# nor claim more data than the file holds.
MAX_EXPECTED_BYTES = 1024**3
MAX_HEADER_BYTES = 100 * 1024 * 1024
MAX_DIMENSIONS = 64  # numpy's own limit
MAX_JSON_NESTING = 64  # a safetensors header is two levels deep; json.loads recurses

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
            value = _from_numpy(read_npy(path))
        elif path.suffix == ".safetensors":
            value = read_safetensors(path, check.key)
        else:
            value = load_pt(path, check.key)
    except (OSError, ValueError, KeyError) as exc:
        raise ExpectedFileError(f"{path}: {exc.strerror if isinstance(exc, OSError) and exc.strerror else exc}") from None
    except (MemoryError, RecursionError) as exc:  # a check above missed a case: still no traceback
        raise ExpectedFileError(f"{path}: too large or too deeply nested to read ({type(exc).__name__})") from None
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


def read_npy(path: Path) -> np.ndarray:
    """A .npy file's array, its header checked against the file before anything is allocated."""
    fmt = np.lib.format
    with open(path, "rb") as handle:
        version = fmt.read_magic(handle)
        if version == (1, 0):
            shape, fortran_order, dtype = fmt.read_array_header_1_0(handle)
        elif version == (2, 0):
            shape, fortran_order, dtype = fmt.read_array_header_2_0(handle)
        else:
            raise ValueError(f".npy format version {version[0]}.{version[1]} is not supported (use numpy.save)")
        if dtype.hasobject:
            raise ValueError("the array holds Python objects, which are never unpickled")
        shape = _checked_shape(shape)
        nbytes = math.prod(shape) * dtype.itemsize
        available = os.fstat(handle.fileno()).st_size - handle.tell()
        if nbytes != available:
            raise ValueError(f"its header claims {format_size(nbytes)} of data (shape {shape}, {dtype}), "
                             f"but the file holds {available} bytes of data")
        _check_total(nbytes)
        array = np.frombuffer(handle.read(nbytes), dtype=dtype)
    if fortran_order:
        return array.reshape(shape[::-1]).transpose()
    return array.reshape(shape)


def _checked_shape(shape: object) -> tuple[int, ...]:
    if not isinstance(shape, (list, tuple)) or len(shape) > MAX_DIMENSIONS or not all(
            isinstance(size, int) and not isinstance(size, bool) and size >= 0 for size in shape):
        raise ValueError(f"shape {str(shape)[:80]} is not a list of at most {MAX_DIMENSIONS} sizes >= 0")
    return tuple(shape)


def _check_total(nbytes: int) -> None:
    if nbytes > MAX_EXPECTED_BYTES:
        raise ValueError(f"the tensor is {format_size(nbytes)}; expected files are capped at "
                         f"{format_size(MAX_EXPECTED_BYTES)}")


_JSON_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def _json_too_deep(text: bytes, limit: int) -> bool:
    depth = 0
    for token in _JSON_TOKEN.finditer(text):
        char = token.group()[:1]
        if char in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif char in (b"]", b"}"):
            depth -= 1
    return False


def read_safetensors(path: Path, key: str | None) -> TensorValue:
    """Read one tensor from a .safetensors file (8-byte header length, JSON header, raw data).

    Every field of the header is checked (types, sizes, offsets within the file, data matching the
    shape) before the data is read: a header comes from a stranger's pack."""
    with open(path, "rb") as handle:
        file_size = os.fstat(handle.fileno()).st_size
        prefix = handle.read(8)
        if len(prefix) < 8:
            raise ValueError("the file is too short to be safetensors")
        (length,) = struct.unpack("<Q", prefix)
        if length > min(MAX_HEADER_BYTES, file_size - 8):
            raise ValueError(f"its header length ({length:,} bytes) is implausible for a {file_size:,}-byte file")
        text = handle.read(length)
        if _json_too_deep(text, MAX_JSON_NESTING):
            raise ValueError(f"its header is nested more than {MAX_JSON_NESTING} levels deep")
        try:
            header = json.loads(text)
        except ValueError as exc:
            raise ValueError(f"its header is not JSON ({exc})") from None
        if not isinstance(header, dict):
            raise ValueError("its header is not a JSON object")
        names = [name for name in header if name != "__metadata__"]
        if key is None:
            if len(names) != 1:
                raise KeyError(f"the file holds {len(names)} tensors; name one with key = (one of {names[:8]})")
            key = names[0]
        if key not in header or key == "__metadata__":
            raise KeyError(f"no tensor {key!r} in the file")
        entry = header[key]
        if not isinstance(entry, dict):
            raise ValueError(f"{key!r} is not a tensor entry (dtype, shape, data_offsets)")
        dtype = entry.get("dtype")
        if not isinstance(dtype, str) or dtype not in _SAFETENSORS_DTYPES:
            raise ValueError(f"tensor {key!r} has an unsupported dtype {str(dtype)[:40]!r} "
                             f"(one of {', '.join(_SAFETENSORS_DTYPES)})")
        dtype_name, wire = _SAFETENSORS_DTYPES[dtype]
        shape = _checked_shape(entry.get("shape"))
        offsets = entry.get("data_offsets")
        if not (isinstance(offsets, list) and len(offsets) == 2
                and all(isinstance(o, int) and not isinstance(o, bool) for o in offsets) and 0 <= offsets[0] <= offsets[1]):
            raise ValueError(f"tensor {key!r} has invalid data_offsets {str(offsets)[:80]} (want [start, end])")
        start, end = offsets
        itemsize = 2 if wire == "bf16" else np.dtype(wire).itemsize
        nbytes = math.prod(shape) * itemsize
        if nbytes != end - start:
            raise ValueError(f"tensor {key!r} claims {format_size(nbytes)} (shape {shape}, {dtype}), "
                             f"but its data_offsets span {end - start:,} bytes")
        data_size = file_size - 8 - length
        if end > data_size:
            raise ValueError(f"tensor {key!r}'s data_offsets [{start}, {end}] reach beyond the end of the file "
                             f"({data_size:,} bytes of data)")
        _check_total(nbytes)
        handle.seek(8 + length + start)
        raw = handle.read(nbytes)
    if wire == "bf16":
        bits = np.frombuffer(raw, dtype="<u2")
        array = (bits.astype("<u4") << 16).view("<f4")
    else:
        array = np.frombuffer(raw, dtype=wire)
    return TensorValue(kind="tensor", dtype=dtype_name, shape=shape, array=array.reshape(shape))
