"""The sanitiser for untrusted text on its way to a terminal (tutor/safetext.py)."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from tutor.safetext import UNSAFE, describe, first_unsafe, visible

ATTACKS = {
    "osc-0-title": ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),
    "osc-52-clipboard": ("\x1b]52;c;cm0gLXJmIH4K\x07", "\\x1b]52;c;cm0gLXJmIH4K\\x07"),
    "osc-8-link": ("\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\",
                   "\\x1b]8;;http://evil.example\\x1b\\click\\x1b]8;;\\x1b\\"),
    "csi-clear": ("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"),
    "nul": ("a\x00b", "a\\x00b"),
    "c1-csi": ("\x9b31m", "\\x9b31m"),
    "del-backspace-cr": ("ok\x7f\x08\rno", "ok\\x7f\\x08\\x0dno"),
    "trojan-source": ("access = 'user\u202e \u2066# admin\u2069 \u2066'", "access = 'user\\u202e \\u2066# admin\\u2069 \\u2066'"),
}


def test_each_attack_is_shown_not_obeyed():
    for name, (attack, shown) in ATTACKS.items():
        assert visible(attack) == shown, name


def test_newlines_tabs_and_the_rest_of_unicode_are_left_alone():
    text = "loss\t0.25\ncafé naïve 日本語 ┌─┐│└┘ 🎉👍🏽 αβγ ﬁ \u200d\u00a0€\n"
    assert visible(text) is text or visible(text) == text


def test_first_unsafe_names_what_it_found():
    assert first_unsafe("title\x1b]0;x\x07") == "\\x1b" and first_unsafe("fine\n") is None
    assert "escape" in describe("\\x1b") and "bidi" in describe("\\u202e") and "NUL" in describe("\\x00")


printable_controls = st.sampled_from([chr(c) for c in range(0x20)] + ["\x7f"] + [chr(c) for c in range(0x80, 0xA0)]
                                     + [chr(c) for c in range(0x202A, 0x202F)] + [chr(c) for c in range(0x2066, 0x206A)])
mixed = st.lists(st.one_of(st.text(), printable_controls), max_size=40).map("".join)


@settings(max_examples=500)
@given(mixed)
def test_the_output_holds_no_control_but_newline_and_tab(text):
    shown = visible(text)
    assert not any(ord(c) < 0x20 and c not in "\n\t" or 0x7F <= ord(c) <= 0x9F for c in shown)
    assert UNSAFE.search(shown) is None
    assert visible(shown) == shown  # shown text is stable


@settings(max_examples=500)
@given(st.text())
def test_text_without_controls_is_unchanged(text):
    clean = UNSAFE.sub("", text)
    assert visible(clean) == clean


def one_by_one(text: str) -> str:
    """What visible() must equal, written the slow, obvious way."""
    out = []
    for char in text:
        code = ord(char)
        if (code < 0x20 and char not in "\n\t") or 0x7F <= code <= 0x9F:
            out.append(f"\\x{code:02x}")
        elif 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


@settings(max_examples=500)
@given(mixed)
def test_it_rewrites_exactly_the_unsafe_characters(text):
    assert visible(text) == one_by_one(text)


@settings(max_examples=300)
@given(st.text(st.characters(blacklist_categories=())))  # lone surrogates too
def test_it_never_raises(text):
    assert visible(text) == one_by_one(text)


def test_it_is_fast_on_64_kib_of_output():
    """Prints figures (no timing is asserted): learner output is capped at 64 KiB a run."""
    samples = {
        "plain": ("epoch 1 loss 0.1234 ✓ café 日本 ┌─┐\n" * 3000)[:65536],
        "coloured": ("epoch 1 loss 0.1234\x1b[32m ok\x1b[0m\n" * 3000)[:65536],
        "all ESC": "\x1b" * 65536,
        "every control": "".join(chr(c) for c in range(0xA0)) * 409,
    }
    for name, text in samples.items():
        started = time.perf_counter()
        for _ in range(20):
            visible(text)
        print(f"visible() on 64 KiB, {name}: {(time.perf_counter() - started) / 20 * 1000:.2f} ms")
