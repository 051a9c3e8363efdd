"""AST checks on the learner's code, and what counts as "not attempted"."""

import pytest

from tutor.checking.static import has_placeholder, run_static_check
from tutor.lessons.model import StaticCheck


def forbid(*names, loops=False):
    return StaticCheck(kind="forbid", names=names, loops=loops)


def test_forbid_finds_calls_attributes_and_imports_not_text():
    code = "y = x.reshape(3, 3)  # no clone here\nfrom torch import where\n"
    result = run_static_check(forbid("reshape", "clone", "where"), code)
    assert not result.passed
    assert result.message == "Your code uses `reshape` (line 1) and `where` (line 2), which this exercise rules out."
    assert "clone" not in result.message  # only in a comment


def test_forbid_dotted_names_and_getattr():
    assert not run_static_check(forbid("torch.where"), "import torch\ntorch.where(c)").passed
    assert run_static_check(forbid("torch.where"), "x.where(c, y)").passed
    assert not run_static_check(forbid("reshape"), "getattr(x, 'reshape')(9)").passed


@pytest.mark.parametrize("code", ["for i in x: pass", "while x: pass", "[i for i in x]",
                                  "{i: i for i in x}", "sum(i for i in x)"])
def test_loops_and_comprehensions_are_forbidden_when_asked(code):
    result = run_static_check(forbid(loops=True), code)
    assert not result.passed and "no Python loops" in result.message


def test_require_needs_every_name():
    check = StaticCheck(kind="require", names=("unsqueeze", "cat", "stack"), message="Use them.")
    result = run_static_check(check, "y = x.unsqueeze(0)")
    assert not result.passed and result.message == "Use them. Your code should use `cat` and `stack`."
    assert run_static_check(check, "y = torch.cat([torch.stack([x]).unsqueeze(0)])").passed


def test_syntax_errors_cannot_pass_a_static_check():
    assert not run_static_check(forbid("x"), "y = (").passed


@pytest.mark.parametrize("code, expected", [
    ("square = ...", True),
    ("def f(a):\n    ...", True),
    ("x = 1  # TODO: finish", True),
    ("y = x[..., 0]", False),
    ("from typing import Callable\nf: Callable[..., int]", False),
    ("y = x * 2", False),
    ("s = '# TODO'", False),
    ("broken = (", False),
    ("broken = ( ...", True),
])
def test_placeholder_detection(code, expected):
    assert has_placeholder(code) is expected


def test_keyword_arguments_count_as_names():
    check = StaticCheck(kind="require", names=("retain_graph",))
    assert run_static_check(check, "y.backward(retain_graph=True)").passed
    assert not run_static_check(check, "y.backward()").passed
