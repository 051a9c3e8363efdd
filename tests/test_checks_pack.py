"""Every check kind of the format, with passing and failing answers, through the real worker."""

import pytest


def check(session, exercise, code):
    if isinstance(exercise, str):  # the tests name exercises by id; the session takes Exercises
        exercise = session.catalog.exercise(exercise)
    return session.check(exercise, code, record=False)


def failing(verdict):
    return [c for c in verdict.checks if not c.passed]


@pytest.mark.parametrize("exercise", ["tensor-square", "expected-zeros", "function-outer", "output-shape",
                                      "grad-square"])
def test_solutions_pass_and_starters_are_not_attempted(every_check_session, exercise):
    ex = every_check_session.catalog.exercise(exercise)
    solved = check(every_check_session, ex, ex.solution)
    assert solved.status == "passed", solved
    assert all(c.passed for c in solved.checks) and len(solved.checks) == len(ex.checks)
    assert check(every_check_session, ex, ex.starter).status == "not_attempted"


def test_tensor_check_and_assert_check(every_check_session):
    copy = check(every_check_session, "tensor-square", "square = row.reshape(3, 3).clone()")
    assert copy.status == "failed"
    (assert_fail, forbid_fail) = failing(copy)
    assert assert_fail.kind == "assert" and assert_fail.message == "`square` must share memory with `row`."
    assert forbid_fail.kind == "forbid" and "`clone` (line 1)" in forbid_fail.message
    wrong = check(every_check_session, "tensor-square", "square = row.view(9, 1)")
    assert failing(wrong)[0].message.startswith("`square` has shape (9, 1) but should have shape (3, 3).")


def test_expected_check_literal_and_file(every_check_session):
    verdict = check(every_check_session, "expected-zeros", "import torch\nz = torch.ones(2, 2)")
    assert verdict.status == "failed"
    assert [c.message for c in failing(verdict)] == [
        "`z`: all 4 elements are wrong; the largest difference is 1 at [0, 0] (expected 0, got 1)."] * 2
    doubles = check(every_check_session, "expected-zeros", "import torch\nz = torch.zeros(2, 2, dtype=torch.float64)")
    assert "`z` has dtype torch.float64 but should have dtype torch.float32." in failing(doubles)[0].message


def test_function_check_reports_the_smallest_failing_case(every_check_session):
    verdict = check(every_check_session, "function-outer",
                    "def outer(a, b):\n    return a[:, None] * b[None, :] + (a.numel() > 3)")
    (function_fail,) = failing(verdict)
    assert function_fail.kind == "function"
    assert function_fail.message.startswith("Wrong for 3 of 6 inputs; the smallest failing one:")
    assert "outer(tensor([0., 1., 2., 3., 4.]), tensor([1., 1.]))" in function_fail.message
    assert function_fail.mismatch is not None
    raising = check(every_check_session, "function-outer", "def outer(a, b):\n    return a @ b[None, :]")
    assert "raised RuntimeError" in failing(raising)[0].message


def test_forbid_loops_and_require(every_check_session):
    code = "import torch\ndef outer(a, b):\n    return torch.stack([x * b for x in a])"
    verdict = check(every_check_session, "function-outer", code)
    kinds = {c.kind: c for c in failing(verdict)}
    assert set(kinds) == {"forbid", "require"}
    assert "list comprehension" in kinds["forbid"].message
    assert kinds["require"].message == "Use indexing with None to add dimensions. Your code should use `None`."


def test_output_check(every_check_session):
    wrong = check(every_check_session, "output-shape", "print(x.shape[0])")
    assert wrong.status == "failed" and wrong.stdout == "2\n"
    assert failing(wrong)[0].message.endswith("Compare it with what yours printed.")
    assert check(every_check_session, "output-shape", "print('shape:', x.size())").passed


def test_grad_check(every_check_session):
    no_backward = "import torch\nw = torch.tensor([1., 2., 3.], requires_grad=True)\nloss = (w ** 2).sum()"
    verdict = check(every_check_session, "grad-square", no_backward)
    assert failing(verdict)[0].message == "`w.grad` is None: call .backward() on a result computed from `w`."
    no_grad = "import torch\nw = torch.tensor([1., 2., 3.])\nloss = (w ** 2).sum()"
    assert "should require grad" in failing(check(every_check_session, "grad-square", no_grad))[0].message


def test_errors_show_only_the_learners_frames(every_check_session):
    code = "import torch\n\ndef helper(t):\n    return t @ t\n\nsquare = helper(row)\n"
    verdict = check(every_check_session, "tensor-square", code.replace("row)", "row.view(1, 9))"))
    assert verdict.status == "error"
    assert verdict.error.type == "RuntimeError" and verdict.error.line == 4
    assert all("tutor/sandbox" not in line for line in verdict.error.traceback)
    assert any('File "<your code>", line 6' in line for line in verdict.error.traceback)
    syntax = check(every_check_session, "tensor-square", "square = row.view(3, 3\n")
    assert syntax.status == "error" and syntax.error.type == "SyntaxError" and syntax.error.line == 1


def test_every_run_gets_a_fresh_namespace_and_the_device_variable(every_check_session):
    check(every_check_session, "tensor-square", "leftover = 1\nsquare = row.view(3, 3)")
    verdict = check(every_check_session, "tensor-square", "print(device, 'leftover' in globals())\nsquare = row.view(3, 3)")
    assert verdict.passed and verdict.stdout == "cpu False\n"


def test_results_travel_exactly_including_bfloat16(every_check_session):
    """A bfloat16 answer to a float32 question fails on dtype; with the values it carries intact."""
    verdict = check(every_check_session, "tensor-square", "square = row.view(3, 3).bfloat16()")
    assert "dtype torch.bfloat16" in failing(verdict)[0].message


def test_unavailable_device_is_a_clear_error(every_check_catalog):
    from tutor.session import Session, SessionConfig, WorkerStartError

    with Session(every_check_catalog, SessionConfig(device="mps", spare=False)) as session:
        with pytest.raises(WorkerStartError, match=r"MPS is not available.*devices here: cpu"):
            session.ready()


def test_code_sees_the_lesson_folder(every_check_session):
    verdict = check(every_check_session, "tensor-square",
                    "print(sorted(p.name for p in (lesson_dir / 'data').iterdir()))\nsquare = row.view(3, 3)")
    assert verdict.passed and verdict.stdout == "['zeros.npy']\n"


def test_prints_during_checks_are_kept_apart_from_the_codes_own_output(every_check_session):
    code = "print('defining')\ndef outer(a, b):\n    print('called with', tuple(a.shape))\n    return a[:, None] * b[None, :]\n"
    verdict = check(every_check_session, "function-outer", code)
    assert verdict.passed and verdict.stdout == "defining\n"
    assert verdict.check_stdout.count("called with") == 6


def test_failing_calls_show_small_tensors_and_summarise_large_ones(every_check_session):
    code = "def outer(a, b):\n    return a[:, None] * b[None, :] * 1.5\n"
    message = [c for c in check(every_check_session, "function-outer", code).checks if not c.passed][0].message
    assert "outer(tensor([1.541, -0.2934, -2.179]), tensor([0.5684, -1.085, -1.399, 0.4033]))" in message
