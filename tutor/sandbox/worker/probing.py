"""What each check needs from the namespace a run's code left behind: a variable's value, an
assertion, or calls of a function on seeded inputs; and how arguments and inputs read in messages."""

from __future__ import annotations

import math

import torch

from tutor.sandbox.runspec import CallCase, Probe, ProbeResult
from tutor.sandbox.worker.encode import Encoder, short_repr
from tutor.sandbox.worker.errors import describe_error, one_line
from tutor.sandbox.worker.refusals import Refusals
from tutor.sandbox.worker.state import seed_everything


def case_seed(seed: int, args_index: int, repeat_index: int) -> int:
    return (seed * 1_000_003 + args_index * 10_007 + repeat_index) % 2**31


class Probing:
    """Gathers what each check needs from the namespace the learner's code left behind."""

    def __init__(self, namespace: dict, args_namespace: dict, seed: int, encoder: Encoder,
                 refusals: Refusals | None) -> None:
        self.namespace = namespace
        self.args_namespace = args_namespace
        self.seed = seed
        self.encoder = encoder
        self.refusals = refusals
        self._encoded: dict[str, dict] = {}  # two checks of one variable send it once

    def run(self, probe: Probe) -> ProbeResult:
        if probe.kind == "value":
            return self.value(probe)
        if probe.kind == "assert":
            return self.assertion(probe)
        return self.function(probe)

    def value(self, probe: Probe) -> ProbeResult:
        found, value = _resolve(self.namespace, probe.target)
        if not found:
            return ProbeResult(probe.index, missing=True)
        if probe.target not in self._encoded:
            try:
                self._encoded[probe.target] = self.encoder.encode(value)
            except Exception as exc:
                self._encoded[probe.target] = {"t": "object", "type": type(value).__name__,
                                               "repr": f"<could not read: {exc}>"}
        return ProbeResult(probe.index, value=self._encoded[probe.target])

    def assertion(self, probe: Probe) -> ProbeResult:
        try:
            outcome = eval(compile(probe.target, "<check>", "eval", dont_inherit=True), self.namespace)
            return ProbeResult(probe.index, passed=bool(outcome))
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            return ProbeResult(probe.index, error=one_line(exc))

    def function(self, probe: Probe) -> ProbeResult:
        found, function = _resolve(self.namespace, probe.target)
        if not found:
            return ProbeResult(probe.index, missing=True)
        if not callable(function):
            return ProbeResult(probe.index,
                               error=f"`{probe.target}` should be a function, but it is {short_repr(function, 80)}")
        cases = []
        for args_index, expression in enumerate(probe.args):
            for repeat_index in range(probe.repeat):
                seed_everything(case_seed(self.seed, args_index, repeat_index))
                try:
                    args = eval(compile(expression, "<args>", "eval", dont_inherit=True), dict(self.args_namespace))
                except KeyboardInterrupt:
                    raise
                except BaseException as exc:  # the lesson's expression: the reference run fails too
                    return ProbeResult(probe.index, error=f"args[{args_index + 1}] could not be built: "
                                                          f"{one_line(exc)}")
                args = args if isinstance(args, tuple) else (args,)
                described, size = describe_args(args), _total_size(args)
                try:
                    value = self.encoder.encode(function(*args))
                except KeyboardInterrupt:
                    raise
                except BaseException as exc:
                    cases.append(CallCase(described, args_index, repeat_index, size,
                                          error=describe_error(exc, None, self.refusals)))
                else:
                    cases.append(CallCase(described, args_index, repeat_index, size, value=value))
        return ProbeResult(probe.index, cases=tuple(cases))


def args_builtins() -> dict:
    """What a function check's argument expressions may use without importing anything."""
    import math
    import random

    import numpy

    return {"torch": torch, "np": numpy, "numpy": numpy, "math": math, "random": random}


def _resolve(namespace: dict, dotted: str) -> tuple[bool, object]:
    head, *rest = dotted.split(".")
    if head not in namespace:
        return False, None
    value = namespace[head]
    for part in rest:
        try:
            value = getattr(value, part)
        except Exception:
            return False, None
    return True, value


_SMALL_TENSOR = 24  # elements: a tensor this small is shown whole in a failing call


def describe_args(args: tuple) -> str:
    """A failing call's arguments, readable: small tensors in full, large ones and objects summarised."""
    return "(" + ", ".join(_describe_arg(arg) for arg in args) + ("," if len(args) == 1 else "") + ")"


def _describe_arg(arg: object) -> str:
    if isinstance(arg, torch.Tensor):
        notes = [] if arg.is_contiguous() else ["non-contiguous"]
        if arg.requires_grad:
            notes.append("requires_grad")
        if arg.numel() <= _SMALL_TENSOR:
            text = small_tensor_text(arg)
            return text + (f" ({', '.join(notes)})" if notes else "")
        details = [f"shape={tuple(arg.shape)}", str(arg.dtype).removeprefix("torch."), *notes]
        if arg.device.type != "cpu":
            details.append(str(arg.device))
        return f"<tensor {', '.join(details)}>"
    if isinstance(arg, torch.nn.Module):
        parameters = sum(p.numel() for p in arg.parameters())
        return f"<{type(arg).__name__} with {parameters:,} parameters>"
    if isinstance(arg, (int, float, bool, str, type(None))):
        return short_repr(arg, 80)
    if isinstance(arg, (list, tuple)) and len(arg) <= 8:
        inner = ", ".join(_describe_arg(item) for item in arg)
        return f"[{inner}]" if isinstance(arg, list) else f"({inner}{',' if len(arg) == 1 else ''})"
    text = short_repr(arg, 80)
    return text if " object at 0x" not in text else f"<{type(arg).__name__}>"


_PLAIN_DTYPES = (torch.float32, torch.int64, torch.bool)


def small_tensor_text(tensor: torch.Tensor, limit: int = 300) -> str:
    """`tensor([0.41, -1.2, 0.07])`: a small tensor as a message shows it, four significant digits.
    Every variant's inputs are described before anyone knows which variant fails, so this must be
    cheap: torch's own repr takes ~0.25 ms, a fifth of a whole one-line check."""
    try:
        values = tensor.detach().cpu().tolist()
    except Exception:  # noqa: BLE001 - a tensor subclass that cannot list itself: its repr
        return short_repr(tensor, limit)
    floats = [value for value in _flat(values) if isinstance(value, float)]
    # As torch shows them: whole floats as `2.` (a float tensor), not `2` (an integer one).
    whole = bool(floats) and all(value.is_integer() for value in floats)

    def text(value) -> str:
        if isinstance(value, list):
            return "[" + ", ".join(map(text, value)) + "]"
        if isinstance(value, float):
            if whole:
                return f"{int(value)}."
            return format(value, ".4g") if math.isfinite(value) else str(value)
        return str(value)

    dtype = "" if tensor.dtype in _PLAIN_DTYPES else f", dtype={tensor.dtype}"
    shown = f"tensor({text(values)}{dtype})"
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _flat(values):
    if isinstance(values, list):
        for value in values:
            yield from _flat(value)
    else:
        yield values


_MAX_INPUTS = 4


def describe_inputs(namespace: dict, given: set[str]) -> tuple[str, ...]:
    """What a variant's setup defined, for a message: "x = tensor([0.41, -1.2, 0.07])" (small
    tensors whole, large ones by shape; modules, functions and classes left out)."""
    described = []
    for name, value in namespace.items():
        if name in given or name.startswith("_") or callable(value) and not isinstance(value, torch.Tensor):
            continue
        if isinstance(value, type(torch)):  # a module the setup imported
            continue
        described.append(f"{name} = {_describe_arg(value)}")
        if len(described) == _MAX_INPUTS:
            break
    return tuple(described)


def _total_size(args: tuple) -> int:
    total = 0
    for arg in args:
        if isinstance(arg, torch.Tensor):
            total += arg.numel()
        elif isinstance(arg, (list, tuple)):
            total += len(arg)
        else:
            total += 1
    return total


