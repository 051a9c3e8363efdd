"""The editor's indentation rules as plain functions (the key-press tests are in test_app_editor_indent)."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from tutor.app.widgets.indentation import (
    backspace_width, code_part, dedent_line, dedented, indent_line, next_line_indent,
)


@pytest.mark.parametrize("line, code", [
    ("x = 1  # one", "x = 1"),
    ("    # only a comment:", ""),
    ('s = "#"  # hash:', 's = "#"'),
    ("s = '\\'#'  # quote:", "s = '\\'#'"),
    ('if s == "a:":', 'if s == "a:":'),
    ("", ""),
])
def test_code_part_drops_comments_but_not_hashes_in_strings(line, code):
    assert code_part(line) == code


@pytest.mark.parametrize("before, indent", [
    ("x = 1", ""),
    ("    x = 1", "    "),
    ("    for i in range(3):", "        "),
    ("def f():  # body follows", "    "),
    ("        return x", "    "),
    ("    pass", ""),
    ("raise ValueError()", ""),
    ("    returned = 1", "    "),  # a name that starts like a keyword is not the keyword
    ("\tif a:", "\t    "),
])
def test_next_line_indent(before, indent):
    assert next_line_indent(before, "    ", 4) == indent


@pytest.mark.parametrize("whitespace, result", [
    ("", ""), ("  ", ""), ("    ", ""), ("      ", "    "), ("        ", "    "),
    ("\t\t", "\t"), ("\t  ", "\t"),
])
def test_dedented_goes_back_to_the_previous_multiple(whitespace, result):
    assert dedented(whitespace, 4) == result


@pytest.mark.parametrize("before, width", [
    ("", 1), ("x", 1), ("    x ", 1), (" ", 1), ("    ", 4), ("      ", 2), ("        ", 4), ("\t", 1),
])
def test_backspace_width(before, width):
    assert backspace_width(before, 4) == width


@given(st.integers(0, 5),
       st.text(alphabet="abc =():#'", min_size=1).filter(lambda text: text.strip() == text))
def test_indent_then_dedent_gives_the_line_back(levels, code):
    line = "    " * levels + code
    assert dedent_line(indent_line(line, "    "), 4) == line


def test_blank_lines_stay_blank():
    assert indent_line("   ", "    ") == "   "
    assert indent_line("", "    ") == ""
