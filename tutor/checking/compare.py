"""Comparing a learner's value with the expected one, stopping at the first difference.

Order for tensors: type, shape, dtype, device, requires_grad, values, then (when asked) .grad.
Shapes are never broadcast: a (3, 1) answer to a (3,) question is wrong, whatever its values.
Each difference becomes one sentence a beginner can act on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tutor.checking.verdict import Mismatch
from tutor.sandbox.values import Opaque, Special, TensorValue, format_shape

# Default (rtol, atol) per dtype, as torch.testing.assert_close uses them; integers and bools exact.
DEFAULT_TOLERANCES: dict[str, tuple[float, float]] = {
    "float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7), "complex32": (1e-3, 1e-5), "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7), "float8_e4m3fn": (0.125, 1e-5), "float8_e5m2": (0.25, 1e-5),
}
PYTHON_FLOAT_TOLERANCE = (1.3e-6, 1e-5)


@dataclass(frozen=True)
class Options:
    rtol: float | None = None
    atol: float | None = None
    dtype: bool = True
    device: bool = True
    requires_grad: bool = True
    grad: bool = False


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str = ""
    mismatch: Mismatch | None = None


PASS = Outcome(True)


def tolerances(dtype: str, options: Options) -> tuple[float, float]:
    rtol, atol = DEFAULT_TOLERANCES.get(dtype, (0.0, 0.0))
    return (options.rtol if options.rtol is not None else rtol,
            options.atol if options.atol is not None else atol)


def describe(value: object) -> str:
    """A short phrase for what a value is: "a Python float", "a list of 3 items"..."""
    if isinstance(value, TensorValue):
        return value.describe()
    if value is None:
        return "None"
    if isinstance(value, bool):
        return f"the bool {value}"
    if isinstance(value, (int, float)):
        return f"the Python {type(value).__name__} {value!r}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, dict):
        return f"a dict of {len(value)} entries"
    if isinstance(value, Special):
        return {"dtype": "a dtype", "device": "a device", "size": "a torch.Size"}.get(value.kind, value.kind)
    if isinstance(value, Opaque):
        if value.type_name == "ellipsis":
            return "still the placeholder `...`"
        if value.type_name in _CALLABLE_TYPES:
            return "a method or function itself, not its result (did you forget the `()`?)"
        return _article(value.type_name)
    if isinstance(value, np.generic):
        return f"a NumPy {value.dtype} scalar"
    return _article(type(value).__name__)


_CALLABLE_TYPES = {"builtin_function_or_method", "method", "function", "method-wrapper",
                   "builtin_method", "functools.partial"}


def compare(label: str, expected: object, got: object, options: Options = Options()) -> Outcome:
    if isinstance(expected, TensorValue):
        return compare_tensors(label, expected, got, options)
    if isinstance(expected, Special):
        return _compare_special(label, expected, got)
    if isinstance(expected, bool) or isinstance(expected, np.bool_):
        if not isinstance(got, (bool, np.bool_)):
            return Outcome(False, f"`{label}` should be the bool {bool(expected)}, but it is {describe(got)}.")
        return PASS if bool(got) == bool(expected) else Outcome(False, f"`{label}` is {got} but should be {expected}.")
    if isinstance(expected, (int, float, np.integer, np.floating)):
        return _compare_number(label, expected, got, options)
    if isinstance(expected, complex):
        if isinstance(got, (complex, float, int)) and not isinstance(got, bool) and abs(complex(got) - expected) <= 1e-5 + 1.3e-6 * abs(expected):
            return PASS
        return Outcome(False, f"`{label}` is {_short(got)} but should be {expected!r}.")
    if isinstance(expected, str):
        if got == expected:
            return PASS
        if not isinstance(got, str):
            return Outcome(False, f"`{label}` should be the string {expected!r}, but it is {describe(got)}.")
        return Outcome(False, f"`{label}` is {_short(got)} but should be {expected!r}.")
    if expected is None:
        return PASS if got is None else Outcome(False, f"`{label}` should be None, but it is {describe(got)}.")
    if isinstance(expected, (list, tuple)):
        return _compare_sequence(label, expected, got, options)
    if isinstance(expected, dict):
        return _compare_dict(label, expected, got, options)
    if isinstance(expected, Opaque):
        if isinstance(got, Opaque) and got.type_name == expected.type_name:
            return PASS
        return Outcome(False, f"`{label}` should be {_article(expected.type_name)}, but it is {describe(got)}.")
    return PASS if got == expected else Outcome(False, f"`{label}` differs from the expected value.")


def _article(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _short(value: object) -> str:
    text = repr(value) if isinstance(value, (str, int, float, complex)) else describe(value)
    return text if len(text) < 80 else text[:77] + "..."


def _compare_number(label: str, expected: float, got: object, options: Options) -> Outcome:
    if isinstance(got, TensorValue):
        hint = " Use `.item()` to get a Python number from a one-element tensor." if got.numel == 1 else ""
        return Outcome(False, f"`{label}` should be a Python number, but it is {got.describe()}.{hint}")
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.integer, np.floating)):
        return Outcome(False, f"`{label}` should be a number, but it is {describe(got)}.")
    if isinstance(expected, (int, np.integer)) and isinstance(got, (int, np.integer)):
        return PASS if int(got) == int(expected) else Outcome(False, f"`{label}` is {got} but should be {expected}.")
    rtol = options.rtol if options.rtol is not None else PYTHON_FLOAT_TOLERANCE[0]
    atol = options.atol if options.atol is not None else PYTHON_FLOAT_TOLERANCE[1]
    expected_f, got_f = float(expected), float(got)
    if (math.isnan(expected_f) and math.isnan(got_f)) or expected_f == got_f:
        return PASS
    if abs(got_f - expected_f) <= atol + rtol * abs(expected_f):
        return PASS
    return Outcome(False, f"`{label}` is {got_f:.6g} but should be {expected_f:.6g} "
                          f"(off by {abs(got_f - expected_f):.3g}).")


def _compare_special(label: str, expected: Special, got: object) -> Outcome:
    if expected.kind == "size":
        if isinstance(got, Special) and got.kind == "size":
            got_shape = got.value
        elif isinstance(got, (tuple, list)) and all(isinstance(n, int) for n in got):
            got_shape = tuple(got)
        else:
            return Outcome(False, f"`{label}` should be a shape like {format_shape(expected.value)}, "
                                  f"but it is {describe(got)}.")
        if tuple(got_shape) == tuple(expected.value):
            return PASS
        return Outcome(False, f"`{label}` is {format_shape(tuple(got_shape))} but should be "
                              f"{format_shape(expected.value)}.")
    if not isinstance(got, Special) or got.kind != expected.kind:
        return Outcome(False, f"`{label}` should be {describe(expected)}, but it is {describe(got)}.")
    if got.value == expected.value:
        return PASS
    prefix = "torch." if expected.kind == "dtype" else ""
    return Outcome(False, f"`{label}` is {prefix}{got.value} but should be {prefix}{expected.value}.")


def _compare_sequence(label: str, expected: list | tuple, got: object, options: Options) -> Outcome:
    if not isinstance(got, (list, tuple)):
        return Outcome(False, f"`{label}` should be {describe(expected)}, but it is {describe(got)}.")
    if len(got) != len(expected):
        return Outcome(False, f"`{label}` has {len(got)} items but should have {len(expected)}.")
    for index, (want, have) in enumerate(zip(expected, got)):
        outcome = compare(f"{label}[{index}]", want, have, options)
        if not outcome.ok:
            return outcome
    return PASS


def _compare_dict(label: str, expected: dict, got: object, options: Options) -> Outcome:
    if not isinstance(got, dict):
        return Outcome(False, f"`{label}` should be a dict, but it is {describe(got)}.")
    missing = [key for key in expected if key not in got]
    extra = [key for key in got if key not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append("is missing the keys " + ", ".join(repr(k) for k in missing[:5]))
        if extra:
            parts.append("has unexpected keys " + ", ".join(repr(k) for k in extra[:5]))
        return Outcome(False, f"`{label}` " + " and ".join(parts) + ".")
    for key, want in expected.items():
        outcome = compare(f"{label}[{key!r}]", want, got[key], options)
        if not outcome.ok:
            return outcome
    return PASS


def compare_tensors(label: str, expected: TensorValue, got: object, options: Options,
                    check_autograd: bool = True) -> Outcome:
    noun = "tensor" if expected.kind == "tensor" else "NumPy array"
    if not isinstance(got, TensorValue):
        return Outcome(False, f"`{label}` should be a {noun}, but it is {describe(got)}.{_not_tensor_hint(got, expected)}")
    if got.kind != expected.kind:
        bridge = "torch.from_numpy(...)" if expected.kind == "tensor" else "`.numpy()`"
        return Outcome(False, f"`{label}` should be a {noun}, but it is {got.describe()} (see {bridge}).")
    if got.shape != expected.shape:
        hint = ""
        if len(got.shape) != len(expected.shape) and _squeezed(got.shape) == _squeezed(expected.shape):
            hint = " Only size-1 dimensions differ: check unsqueeze/squeeze or keepdim."
        elif got.numel == expected.numel and got.numel > 1:
            hint = " It has the right number of elements, arranged differently."
        return Outcome(False, f"`{label}` has shape {format_shape(got.shape)} but should have shape "
                              f"{format_shape(expected.shape)}.{hint}")
    if options.dtype and got.dtype != expected.dtype:
        prefix = "torch." if expected.kind == "tensor" else ""  # NumPy arrays have NumPy dtype names
        return Outcome(False, f"`{label}` has dtype {prefix}{got.dtype} but should have dtype "
                              f"{prefix}{expected.dtype}.")
    if options.device and got.device != expected.device:
        return Outcome(False, f"`{label}` is on {got.device} but should be on {expected.device}.")
    if check_autograd and options.requires_grad and got.requires_grad != expected.requires_grad:
        if expected.requires_grad:
            return Outcome(False, f"`{label}` should require grad (requires_grad=True), but it does not.")
        return Outcome(False, f"`{label}` should not require grad, but it does "
                              "(detach it, or compute it under torch.no_grad()).")
    outcome = compare_values(label, expected, got, options)
    if not outcome.ok or not (check_autograd and options.grad):
        return outcome
    if expected.grad is None:
        if got.grad is not None:
            return Outcome(False, f"`{label}.grad` should be None (no gradient yet), but it holds values.")
        return PASS
    if got.grad is None:
        return Outcome(False, f"`{label}.grad` is None: call .backward() on a result computed from `{label}`.")
    return compare_tensors(f"{label}.grad", expected.grad, got.grad, options, check_autograd=False)


def _squeezed(shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(n for n in shape if n != 1)


def _not_tensor_hint(got: object, expected: TensorValue) -> str:
    if isinstance(got, (list, tuple)):
        if got and all(isinstance(item, TensorValue) for item in got):
            return " torch.stack(...) or torch.cat(...) joins a sequence of tensors into one tensor."
        return " torch.tensor(...) turns a list into a tensor."
    if isinstance(got, (int, float)) and not isinstance(got, bool) and expected.numel == 1:
        return " Keep the tensor: no .item() here."
    if got is None:
        return (" Did a function forget to `return`, an in-place method return None, or is it a `.grad`"
                " that backward never filled (no backward yet, or not a leaf tensor)?")
    return ""


def compare_values(label: str, expected: TensorValue, got: TensorValue, options: Options) -> Outcome:
    if expected.array is None or got.array is None:
        note = expected.note or got.note or "values were not available"
        return Outcome(False, f"`{label}`: values cannot be compared ({note}).")
    want, have = expected.array, got.array
    if want.shape != have.shape:  # both reshaped already, so this is a wire problem
        return Outcome(False, f"`{label}`: values arrived with the wrong shape.")
    rtol, atol = tolerances(expected.dtype, options)
    differs = differing(want, have, rtol, atol)
    count = int(differs.sum())
    if count == 0:
        return PASS
    mismatch = build_mismatch(want, have, differs)
    where = _index(mismatch.max_index)
    worst_expected = _scalar(want[mismatch.max_index] if want.ndim else want[()])
    worst_got = _scalar(have[mismatch.max_index] if have.ndim else have[()])
    if want.ndim == 0:  # one number: say it as plainly as a Python number
        gap = f" (off by {mismatch.max_abs_diff:.4g})" if want.dtype.kind not in "biu" else ""
        return Outcome(False, f"`{label}` is {worst_got} but should be {worst_expected}{gap}.", mismatch)
    if want.dtype.kind in "biu" and have.dtype.kind in "biu":
        detail = f"the first is at {_index(mismatch.first_index)}"
        first_expected = _scalar(want[mismatch.first_index] if want.ndim else want[()])
        first_got = _scalar(have[mismatch.first_index] if have.ndim else have[()])
        detail += f" (expected {first_expected}, got {first_got})"
    elif _is_nan(have[mismatch.max_index] if have.ndim else have[()]):
        nans = int(np.isnan(have).sum()) if have.dtype.kind in "fc" else 0
        detail = (f"it holds NaN where {worst_expected} was expected, at {where}"
                  + (f" ({nans} NaN values in all)" if nans > 1 else ""))
    else:
        detail = (f"the largest difference is {mismatch.max_abs_diff:.4g} at {where} "
                  f"(expected {worst_expected}, got {worst_got})")
    return Outcome(False, f"`{label}`: {_how_many_wrong(count, want.size)}; {detail}.", mismatch)


def _is_nan(value: object) -> bool:
    try:
        return bool(np.isnan(value))
    except TypeError:
        return False


def _how_many_wrong(count: int, total: int) -> str:
    if total == 1:
        return "the value is wrong"
    if count == total:
        return f"all {total} elements are wrong"
    return f"{count} of {total} elements {'is' if count == 1 else 'are'} wrong"


def differing(want: np.ndarray, have: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    if want.dtype.kind in "biu" and have.dtype.kind in "biu":
        return want.astype(np.int64) != have.astype(np.int64) if want.dtype.kind != "b" else want != have
    kind = np.complex128 if "c" in (want.dtype.kind, have.dtype.kind) else np.float64
    a = want.astype(kind)
    b = have.astype(kind)
    with np.errstate(invalid="ignore", over="ignore"):
        finite = np.isfinite(a) & np.isfinite(b)
        # Infinities match only themselves (inf - inf is nan, and inf <= inf would pass -inf).
        close = np.where(finite, np.abs(a - b) <= atol + rtol * np.abs(a), a == b)
        close |= np.isnan(a) & np.isnan(b)
    return ~close


def _index(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(i) for i in index) + "]" if index else "[] (a 0-d tensor)"


def _scalar(value: object) -> str:
    return format_number(value)


def format_number(value: object) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (complex, np.complexfloating)):
        return f"{complex(value):.4g}"
    return f"{float(value):.4g}"


def build_mismatch(want: np.ndarray, have: np.ndarray, differs: np.ndarray) -> Mismatch:
    count = int(differs.sum())
    first = tuple(int(i) for i in np.argwhere(differs)[0]) if want.ndim else ()
    with np.errstate(invalid="ignore", over="ignore"):
        kind = np.complex128 if "c" in (want.dtype.kind, have.dtype.kind) else np.float64
        gap = np.abs(want.astype(kind) - have.astype(kind)).astype(np.float64)
    gap = np.where(differs, np.nan_to_num(gap, nan=np.inf, posinf=np.inf), -1.0)
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(gap)), want.shape)) if want.ndim else ()
    max_abs = float(gap[worst] if want.ndim else gap[()])
    expected_rows, got_rows, differ_rows, row_labels, col_labels, caption = _window(want, have, differs, first)
    return Mismatch(count=count, total=int(want.size), max_abs_diff=max_abs, max_index=worst,
                    first_index=first, expected=expected_rows, got=got_rows, differs=differ_rows,
                    row_labels=row_labels, col_labels=col_labels, caption=caption)


def _window(want: np.ndarray, have: np.ndarray, differs: np.ndarray, first: tuple[int, ...]):
    """A small 2-D slice around the first difference, as strings, for a side-by-side view."""
    if want.ndim == 0:
        return ([[format_number(want[()])]], [[format_number(have[()])]], [[bool(differs[()])]], [""], [""], "")
    if want.ndim == 1:
        lead: tuple[int, ...] = ()
        plane_w, plane_h, plane_d = want[None, :], have[None, :], differs[None, :]
        row, col = 0, first[0]
    else:
        lead = first[:-2]
        plane_w, plane_h, plane_d = want[lead], have[lead], differs[lead]
        row, col = first[-2], first[-1]
    rows = range(max(0, row - 3), min(plane_w.shape[0], row + 4))
    cols = range(max(0, col - 3), min(plane_w.shape[1], col + 4))
    expected = [[format_number(plane_w[r, c]) for c in cols] for r in rows]
    got = [[format_number(plane_h[r, c]) for c in cols] for r in rows]
    marks = [[bool(plane_d[r, c]) for c in cols] for r in rows]
    row_labels = [str(r) for r in rows] if want.ndim > 1 else [""]
    col_labels = [str(c) for c in cols]
    caption = ""
    if lead:
        caption = "[" + ", ".join(str(i) for i in lead) + ", :, :]"
    return expected, got, marks, row_labels, col_labels, caption
