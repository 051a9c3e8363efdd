"""The one verdict renderer both front ends use: what each part shows, and the decisions it takes
from the width it is given at render time (never from who calls it)."""

from __future__ import annotations

from rich.console import Console

from tutor.checking.verdict import CheckResult, ErrorInfo, Mismatch, Verdict
from tutor.render import render_verdict
from tutor.render.checks import fitted_name


def render(verdict: Verdict, width: int = 80, **kwargs) -> str:
    console = Console(width=width, color_system=None)
    with console.capture() as captured:
        console.print(render_verdict(verdict, **kwargs))
    return captured.get()


LONG_NAME = "torch.allclose(model(torch.ones(4, 8)).sum(dim=1), expected_sums_for_the_batch)"
LONG_MESSAGE = ("the assertion was false: " + "every word of this message matters to the learner " * 4).strip()
WIDE = Mismatch(count=1, total=8, max_abs_diff=1.0, max_index=(7,), first_index=(7,),
                expected=[[str(10 + v) for v in range(8)]], got=[[str(10 + v) for v in range(7)] + ["99"]],
                differs=[[False] * 7 + [True]], row_labels=[""], col_labels=[str(i) for i in range(8)])


def failed(*checks: CheckResult) -> Verdict:
    return Verdict("lesson/exercise", "failed", f"{len(checks)} of {len(checks)} checks failed.", checks=checks,
                   duration_ms=4.25, device="cpu")


def test_the_cli_framing_names_the_exercise_and_the_app_framing_does_not():
    verdict = failed(CheckResult("tensor", "r", False, "`r` is wrong"), CheckResult("forbid", "loops", True))
    cli = render(verdict, name_exercise=True)
    assert cli.splitlines()[0] == "✘ Failed  lesson/exercise  (4.2 ms on cpu)"
    app = render(verdict, show_timing=False, follow_up="Next: something  (ctrl+n)")
    assert app.splitlines()[0] == "✘ Failed" and "lesson/exercise" not in app
    assert "Next: something  (ctrl+n)" in app and "Next:" not in cli
    # Without timings a GPU run still says where it ran.
    gpu = Verdict("a/b", "passed", "All 1 check passed.", checks=(CheckResult("tensor", "r", True),), device="cuda:0")
    assert render(gpu, show_timing=False).splitlines()[0] == "✔ Passed  (on cuda:0)"


def test_a_long_check_name_is_cut_by_the_width_and_its_message_never_is():
    verdict = failed(CheckResult("assert", LONG_NAME, False, LONG_MESSAGE), CheckResult("tensor", "y", True))
    for width in (50, 80, 200):
        text = render(verdict, width=width)
        joined = " ".join(" ".join(line.split()) for line in text.splitlines())
        assert " ".join(LONG_MESSAGE.split()) in joined, width  # wrapped, every word kept
    assert LONG_NAME in render(verdict, width=200)
    assert LONG_NAME not in render(verdict, width=80)
    assert fitted_name("assert", LONG_NAME, 80).endswith("...")
    # The label never takes more than half the width, however long the name.
    assert len(f"assert {fitted_name('assert', LONG_NAME, 80)}") <= 80 // 2
    assert len(fitted_name("assert", LONG_NAME, 50)) < len(fitted_name("assert", LONG_NAME, 80))
    assert fitted_name("tensor", "r", 20) == "r"


def test_expected_and_yours_side_by_side_when_it_fits_stacked_when_not():
    verdict = failed(CheckResult("tensor", "w", False, "`w`: 1 of 8 elements is wrong", WIDE),
                     CheckResult("tensor", "b", True))
    wide = render(verdict, width=140)
    assert "expected (left) vs yours (right)" in wide and "expected, then yours" not in wide
    narrow = render(verdict, width=60)
    assert "expected, then yours" in narrow and "(left)" not in narrow
    assert max(len(line) for line in narrow.splitlines()) <= 60
    lines = narrow.splitlines()
    assert any("expected" in line and "17" in line for line in lines)
    assert any("yours" in line and "99" in line for line in lines)


def test_a_stopped_run_is_rendered_from_its_status():
    stopped = Verdict("a/b", "stopped", "You stopped the run after 1.0 s; nothing was recorded.",
                      stdout="before the stop\n", duration_ms=1000.0)
    text = render(stopped, show_timing=False)
    assert text.splitlines()[0] == "■ Stopped"
    assert "You stopped the run after 1.0 s" in text and "before the stop" in text
    assert "Timed out" not in text and "error" not in text


def test_the_error_panel_says_the_line_is_marked_only_where_it_is():
    error = ErrorInfo("NameError", "name 'q' is not defined", ('  File "<your code>", line 2, in <module>',), line=2)
    verdict = Verdict("a/b", "error", "Your code raised NameError: name 'q' is not defined (line 2).", error=error)
    assert "error (line 2 is marked)" in render(verdict, marked_line=True)
    plain = render(verdict)
    assert "is marked" not in plain and "NameError: name 'q' is not defined" in plain


def test_one_check_needs_no_summary_and_output_is_shown_with_what_was_dropped():
    verdict = Verdict("a/b", "passed", "All 1 check passed.", checks=(CheckResult("tensor", "r", True),),
                      stdout="hello\n", stdout_dropped=1234, check_stdout="from f\n")
    text = render(verdict)
    assert "All 1 check passed." not in text and "✔ tensor r" in text
    assert "hello" in text and "1,234 more bytes not shown" in text
    assert "printed while the checks called your code" in text and "from f" in text


ATTACKS = {
    "OSC 0 (window title)": "\x1b]0;owned\x07",
    "OSC 52 (clipboard)": "\x1b]52;c;cm0gLXJmIH4=\x07",
    "OSC 8 (link)": "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\",
    "CSI clear screen": "\x1b[2J\x1b[H",
    "NUL": "a\x00b",
    "C1 CSI": "\x9b31m",
}


def test_learner_text_reaches_the_terminal_shown_not_obeyed():
    for name, attack in ATTACKS.items():
        error = ErrorInfo("ValueError", f"bad {attack}", traceback=(f"  line {attack}",), line=1,
                          facts=(f"`x` is {attack}",), explanation=f"it means {attack}")
        verdict = Verdict("a/b", "error", f"Your code raised ValueError: bad {attack}.", error=error,
                          stdout=f"out {attack}\n", stderr=f"err {attack}\n", check_stdout=f"chk {attack}",
                          checks=(CheckResult("assert", "x > 0", False, f"message {attack}"),))
        console = Console(width=200, color_system="truecolor", force_terminal=True)
        with console.capture() as captured:
            console.print(render_verdict(verdict))
        text = captured.get()
        # Rich's own styles are the only escape sequences: SGR (ESC [ ... m), nothing else.
        import re

        others = re.sub(r"\x1b\[[0-9;]*m", "", text)
        assert "\x1b" not in others and "\x00" not in others and "\x07" not in others and "\x9b" not in others, name
        assert "\\x1b" in text or "\\x00" in text or "\\x9b" in text, name


def test_a_carriage_return_rewrites_its_line_as_on_a_terminal():
    verdict = Verdict("a/b", "passed", "ok", stdout="epoch 1 10%\repoch 1 100%\nnext\n")
    text = render(verdict)
    assert "epoch 1 100%" in text and "10%" not in text and "next" in text


def test_an_image_mismatch_is_drawn_as_pictures_beside_the_numbers():
    import numpy as np

    from tutor.checking.verdict import CurveData, Pictures

    expected = np.zeros((28, 28), dtype=np.float32)
    expected[4:24, 8:12] = 1
    got = expected[::-1].copy()
    window = Mismatch(count=160, total=784, max_abs_diff=1.0, max_index=(4, 12), first_index=(4, 12),
                      expected=[["1"]], got=[["0"]], differs=[[True]], row_labels=["4"], col_labels=["12"])
    verdict = failed(CheckResult("tensor", "out", False, "`out`: 160 of 784 elements are wrong", window,
                                 pictures=Pictures(expected, got)))
    text = render(verdict, width=80)
    assert "out: expected, yours and the difference" in text and "difference (yours - expected)" in text
    assert "@" in text  # without colours the picture is drawn with characters by intensity
    vector = failed(CheckResult("tensor", "v", False, "`v` is wrong", WIDE,
                                pictures=Pictures(np.zeros((2, 8)), np.ones((2, 8)))))
    assert "expected, yours and the difference" not in render(vector)  # 2x8 is no image: the numbers say it
    curve = failed(CheckResult("curve", "losses", False, "`losses` did not fall",
                               curve=CurveData("losses", (2.3, 2.3, 2.3), (2.3, 1.0, 0.4))))
    assert "losses: yours (solid) and the reference's (dotted)" in render(curve)
