"""From a learner's run and the reference run to a Verdict with one result per check."""

from __future__ import annotations

import re
from dataclasses import replace

from tutor.checking.compare import Options, compare
from tutor.checking.explain import explain
from tutor.checking.static import has_placeholder, run_static_check
from tutor.checking.curves import judge_curve
from tutor.checking.verdict import CheckResult, ErrorInfo, LessonBug, Pictures, Verdict
from tutor.lessons.model import (AssertCheck, Check, CurveCheck, Exercise, ExpectedCheck, FunctionCheck,
                                 OutputCheck, StaticCheck, TensorCheck)
from tutor.sandbox.record import RunRecord
from tutor.sandbox.runspec import ErrorReport, Outcome, ProbeResult
from tutor.sandbox.values import TensorValue

LEARNER_FILE = "<your code>"


def judge(exercise: Exercise, code: str, learner: RunRecord, reference: RunRecord | None,
          expected: dict[int, object], device: str) -> Verdict:
    base = dict(exercise=exercise.full_id, stdout=learner.stdout.text, stderr=learner.stderr.text,
                stdout_dropped=learner.stdout.dropped, stderr_dropped=learner.stderr.dropped,
                duration_ms=learner.elapsed_ms, device=device, check_stdout=learner.check_stdout)
    if learner.outcome in (Outcome.TIMEOUT, Outcome.STOPPED):
        return _stopped(exercise, learner, base)
    if learner.outcome is Outcome.CRASHED:
        return _crashed(learner, base)
    if learner.outcome is Outcome.ERROR:
        if learner.phase == "setup":
            raise LessonBug(f"{exercise.full_id}: the exercise's setup failed: {_headline(learner.error)}")
        error = _error_info(learner.error)
        statics = tuple(run_static_check(c, code) for c in exercise.checks if isinstance(c, StaticCheck))
        if has_placeholder(code):
            return Verdict(status="not_attempted", summary=_NOT_ATTEMPTED, checks=statics, error=error, **base)
        where = f" (line {error.line})" if error.line else ""
        if learner.variant > 0:
            where += " " + another_input(learner.variant, learner.variant_inputs)
        return Verdict(status="error", summary=f"Your code raised {error.headline()}{where}.",
                       checks=statics, error=error, **base)
    if reference is None:
        raise LessonBug(f"{exercise.full_id}: no reference results")
    results = tuple(_judge_check(check, index, code, learner, reference, expected)
                    for index, check in enumerate(exercise.checks))
    failed = [result for result in results if not result.passed]
    if not failed:
        count = len(results)
        return Verdict(status="passed", summary=f"All {count} check{'s' if count != 1 else ''} passed.",
                       checks=results, **base)
    if has_placeholder(code):  # parsed only when it matters: passing code is never "not attempted"
        return Verdict(status="not_attempted", summary=_NOT_ATTEMPTED, checks=results, **base)
    summary = f"{len(failed)} of {len(results)} checks failed."
    return Verdict(status="failed", summary=summary, checks=results, **base)


_NOT_ATTEMPTED = "Not attempted yet: replace the `...` placeholder (or the # TODO) with your code, then run it."


def _stopped(exercise: Exercise, learner: RunRecord, base: dict) -> Verdict:
    if learner.outcome is Outcome.STOPPED:
        summary = f"You stopped the run after {learner.elapsed_ms / 1000:.1f} s; nothing was recorded."
        return Verdict(status="stopped", summary=summary, **base)
    summary = (f"Timed out: your code did not finish within {exercise.timeout:g} s and was stopped. "
               "Look for a loop that never ends, or work far larger than the exercise needs.")
    error = _error_info(learner.error) if learner.error else None
    return Verdict(status="timeout", summary=summary, error=error, **base)


_FAULT_HEADER = re.compile(r"Fatal Python error: .*", re.S)
_FAULT_FRAME = re.compile(r'File "<your code>", line (\d+)')


def _crashed(learner: RunRecord, base: dict) -> Verdict:
    """The worker died. faulthandler's dump in stderr tells which learner line was running."""
    stderr = learner.stderr.text
    line = None
    dump = _FAULT_HEADER.search(stderr)
    if dump:
        frames = _FAULT_FRAME.findall(dump.group(0))
        line = int(frames[0]) if frames else None
        stderr = stderr[: dump.start()].rstrip()
    where = f" while running line {line} of your code" if line else ""
    summary = (f"Crashed: {learner.exit_description}{where}. "
               "The tutor started a fresh worker; your draft is safe.")
    error = ErrorInfo(type="Crash", message=learner.exit_description, line=line,
                      traceback=(f'  File "{LEARNER_FILE}", line {line}',) if line else ())
    base = dict(base, stderr=stderr)
    return Verdict(status="crashed", summary=summary, error=error, **base)


def _headline(error: ErrorReport | None) -> str:
    return error.headline() if error is not None else "unknown error"


def _error_info(error: ErrorReport | None) -> ErrorInfo:
    if error is None:
        return ErrorInfo(type="Error", message="")
    explained = explain(error.type, error.message)
    return ErrorInfo(type=error.type, message=error.message, traceback=error.traceback, line=error.line,
                     facts=error.facts, explanation=explained.text if explained else "")


# Checks that compare with the reference (or evaluate in the learner's namespace) hold in every
# variant; a literal `expected` value, the printed output and the code's text are the example's.
_PER_VARIANT = (TensorCheck, AssertCheck, FunctionCheck, CurveCheck)


def _judge_check(check: Check, index: int, code: str, learner: RunRecord, reference: RunRecord,
                 expected: dict[int, object]) -> CheckResult:
    if not isinstance(check, _PER_VARIANT):
        return _run_check(check, index, 0, code, learner, reference, expected)
    count = max(len(reference.variants), 1)
    result = None
    for variant in range(count):
        result = _run_check(check, index, variant, code, learner, reference, expected)
        if not result.passed:
            if variant == 0:
                return result
            inputs = learner.inputs[variant] if variant < len(learner.inputs) else ()
            mismatch = result.mismatch
            if mismatch is not None:
                mismatch = replace(mismatch, caption=f"{mismatch.caption} (test {variant + 1} of {count})")
            context = another_input(variant, inputs, count)
            return replace(result, message=f"{context[0].upper()}{context[1:]}: {result.message}",
                           mismatch=mismatch)
    return result


def another_input(variant: int, inputs: tuple[str, ...], count: int | None = None) -> str:
    """'with another input than the example (test 2 of 3: x = tensor([...]))'."""
    where = f"test {variant + 1}" + (f" of {count}" if count else "")
    given = f": {'; '.join(inputs)}" if inputs else ""
    return f"with another input than the example ({where}{given})"


def _run_check(check: Check, index: int, variant: int, code: str, learner: RunRecord, reference: RunRecord,
               expected: dict[int, object]) -> CheckResult:
    if isinstance(check, StaticCheck):
        return run_static_check(check, code)
    if isinstance(check, OutputCheck):
        return _output(check, learner)
    if isinstance(check, AssertCheck):
        return _assert(check, learner.result(index, variant))
    if isinstance(check, FunctionCheck):
        return _function(check, learner.result(index, variant), reference.result(index, variant))
    if isinstance(check, TensorCheck):
        want = reference.result(index, variant)
        if want is None or want.missing:
            raise LessonBug(f"the reference solution does not define `{check.name}`")
        options = Options(check.rtol, check.atol, check.dtype, check.device, check.requires_grad, check.grad)
        return _value_check(check, learner.result(index, variant), want.value, options)
    if isinstance(check, CurveCheck):
        found, want = learner.result(index, variant), reference.result(index, variant)
        if want is None or want.missing:
            raise LessonBug(f"the reference solution does not define `{check.name}`")
        if found is None or found.missing:
            return _fail(check, f"You haven't defined `{check.name}` yet.")
        return judge_curve(check, found.value, want.value)
    if isinstance(check, ExpectedCheck):
        options = Options(check.rtol, check.atol, dtype=check.dtype is not None or check.file is not None,
                          device=False, requires_grad=False)
        return _value_check(check, learner.result(index, variant), expected[index], options)
    raise TypeError(f"unknown check {check!r}")


def _value_check(check: TensorCheck | ExpectedCheck, found: ProbeResult | None, want: object,
                 options: Options) -> CheckResult:
    name = check.name
    if found is None or found.missing:
        return _fail(check, f"You haven't defined `{name}` yet.")
    got = found.value
    if (isinstance(check, ExpectedCheck) and check.dtype is None and isinstance(want, TensorValue)
            and want.shape == () and not isinstance(got, TensorValue)):
        want = want.array[()].item()  # a bare scalar literal accepts a Python number too
    outcome = compare(name, want, got, options)
    if outcome.ok:
        return CheckResult(check.kind, name, True)
    return replace(_fail(check, outcome.message, outcome.mismatch), pictures=_pictures(want, got, outcome))


PICTURE_ELEMENTS = 4_000_000  # beyond this, a picture of it is not worth the copy


def _pictures(want: object, got: object, outcome) -> Pictures | None:
    """Both arrays, when values differ in a matrix or an image the renderer can draw."""
    if outcome.mismatch is None or not (isinstance(want, TensorValue) and isinstance(got, TensorValue)):
        return None
    if want.array is None or got.array is None or want.shape != got.shape or len(want.shape) < 2:
        return None
    if want.numel > PICTURE_ELEMENTS or want.array.dtype.kind == "c":
        return None
    return Pictures(want.array, got.array)


def _fail(check: Check, message: str, mismatch=None) -> CheckResult:
    if check.message and "still the placeholder" not in message:  # the lesson's hint comes after a try
        message = f"{check.message} ({message})" if message else check.message
    return CheckResult(check.kind, check.name, False, message, mismatch)


def _output(check: OutputCheck, learner: RunRecord) -> CheckResult:
    if re.search(check.pattern, learner.stdout.text, re.M):
        return CheckResult("output", check.pattern, True)
    printed = "Your code printed nothing." if not learner.stdout.text.strip() else "Compare it with what yours printed."
    message = check.message or f"The output should contain a match for /{check.pattern}/."
    return CheckResult("output", check.pattern, False, f"{message} {printed}")


def _assert(check: AssertCheck, result: ProbeResult | None) -> CheckResult:
    if result is not None and result.passed:
        return CheckResult("assert", check.expr, True)
    message = check.message or f"This should be true: `{check.expr}`."
    if result is not None and result.error:
        message += f" (checking it raised {result.error})"
    return CheckResult("assert", check.expr, False, message)


def _function(check: FunctionCheck, got: ProbeResult | None, want: ProbeResult | None) -> CheckResult:
    if want is None or want.missing or want.error:
        reason = want.error if want is not None and want.error else "it is not defined"
        raise LessonBug(f"the reference function `{check.name}` failed: {reason}")
    if got is None or got.missing:
        return _fail(check, f"You haven't defined `{check.name}` yet.")
    if got.error:
        return _fail(check, got.error)
    options = Options(check.rtol, check.atol)
    failures = []
    for want_case, got_case in zip(want.cases, got.cases):
        if want_case.error is not None:
            raise LessonBug(f"the reference `{check.name}` raised on {want_case.args}: {want_case.error.headline()}")
        call = f"{check.name}{_call_args(got_case.args)}"
        if got_case.error is not None:
            explained = explain(got_case.error.type, got_case.error.message)
            because = f" {explained.text}" if explained else ""
            failures.append((got_case.size, f"`{call}` raised {got_case.error.headline()}.{because}", None))
            continue
        outcome = compare("result", want_case.value, got_case.value, options)
        if not outcome.ok:
            failures.append((got_case.size, f"for `{call}`: {outcome.message}", outcome.mismatch))
    if len(got.cases) != len(want.cases):
        failures.append((0, f"`{check.name}` was called {len(want.cases)} times, but only "
                            f"{len(got.cases)} calls came back", None))
    if not failures:
        return CheckResult("function", check.name, True)
    failures.sort(key=lambda failure: failure[0])
    _, message, mismatch = failures[0]
    total = len(want.cases)
    prefix = f"Wrong for {len(failures)} of {total} inputs; the smallest failing one: " if total > 1 else ""
    return _fail(check, prefix + message, mismatch)


def _call_args(args_repr: str) -> str:
    text = args_repr.strip()
    if text.endswith(",)"):
        text = text[:-2] + ")"
    return text if text.startswith("(") else f"({text})"
