"""The command line as a user runs it: real processes, exit statuses, one-line errors."""

import json
import os
import subprocess
import sys

import pytest

from conftest import EVERY_CHECK, TESTS

SOLVED = "square = row.view(3, 3)\n"


def tutor(*args, stdin: str | None = None, env_extra: dict | None = None, timeout: float = 120):
    env = dict(os.environ, COLUMNS="120", **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "tutor", *args], input=stdin, capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=TESTS.parent)


def test_no_arguments_lists_the_lessons():
    result = tutor()
    assert result.returncode == 0
    assert "getting-started/torch-version" in result.stdout


def test_list_json_shows_status_once_progress_exists(tmp_path):
    answer = tmp_path / "a.py"
    answer.write_text(SOLVED)
    assert tutor("check", "tensor-square", "--file", str(answer), "--lessons", str(EVERY_CHECK)).returncode == 0
    listing = json.loads(tutor("list", "--json", "--lessons", str(EVERY_CHECK)).stdout)
    statuses = {e["id"]: e["status"] for lesson in listing["lessons"] for e in lesson["exercises"]}
    assert statuses["every-check/tensor-square"] == "done"
    assert statuses["every-check/expected-zeros"] == "not_started"


def test_check_json_has_the_documented_keys(tmp_path):
    answer = tmp_path / "a.py"
    answer.write_text("square = row.view(9)\n")
    result = tutor("check", "every-check/tensor-square", "--file", str(answer), "--json", "--lessons", str(EVERY_CHECK))
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert {"exercise", "status", "passed", "checks", "stdout", "stderr", "error", "duration_ms", "device"} <= set(report)
    assert report["status"] == "failed" and report["passed"] is False and report["device"] == "cpu"
    assert {"kind", "name", "passed", "message"} <= set(report["checks"][0])
    assert "(9,)" in report["checks"][0]["message"] and "(3, 3)" in report["checks"][0]["message"]


def test_check_reads_stdin_and_exits_zero_on_pass():
    result = tutor("check", "every-check/tensor-square", "--file", "-", "--lessons", str(EVERY_CHECK), stdin=SOLVED)
    assert result.returncode == 0 and "Passed" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["check", "no-such/exercise", "--file", "-"], "no exercise 'no-such/exercise'"),
    (["check", "tensor-square", "--file", "/no/such/file.py"], "cannot read /no/such/file.py"),
    (["--device", "gpu", "list"], "'gpu' is not a device: use cpu, cuda, cuda:N or mps"),
    (["--memory-limit", "lots", "list"], "'lots' is not a size"),
    (["--python", "/nonexistent/python", "list"], "is not an executable Python interpreter"),
    (["lint", "/no/such/pack"], "no such file or folder"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_input_is_one_line_and_exit_2(args, message):
    result = tutor(*args, "--lessons", str(EVERY_CHECK), stdin="")
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("content, message", [
    (b"\x00\x01binary", "is a binary file"),
    (b"x = '\xff'\n", "is not UTF-8 text"),
])
def test_binary_and_non_utf8_code_files(tmp_path, content, message):
    answer = tmp_path / "a.py"
    answer.write_bytes(content)
    result = tutor("check", "tensor-square", "--file", str(answer), "--lessons", str(EVERY_CHECK))
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_an_unavailable_device_lists_the_devices_that_exist(tmp_path):
    result = tutor("--device", "mps", "check", "tensor-square", "--file", "-", "--lessons", str(EVERY_CHECK),
                   stdin=SOLVED)
    assert result.returncode == 2
    assert "MPS is not available" in result.stderr and "devices here: cpu" in result.stderr


def test_lint_passes_on_the_test_pack_and_fails_on_a_broken_one(tmp_path):
    result = tutor("lint", str(EVERY_CHECK))
    assert result.returncode == 0, result.stderr
    assert "all good" in result.stdout
    broken = (EVERY_CHECK / "10-every-check.toml").read_text().replace(
        'solution = """\nsquare = row.view(3, 3)\n"""', 'solution = """\nsquare = row.view(3, 3).clone()\n"""')
    broken = broken.replace('kind = "output"', 'kind = "outptu"')
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "zeros.npy").write_bytes((EVERY_CHECK / "data" / "zeros.npy").read_bytes())
    (tmp_path / "broken.toml").write_text(broken)
    result = tutor("lint", str(tmp_path))
    assert result.returncode == 1
    assert "unknown kind 'outptu' (did you mean 'output'?)" in result.stderr
    (tmp_path / "broken.toml").write_text(broken.replace('kind = "outptu"', 'kind = "output"'))
    result = tutor("lint", str(tmp_path))
    assert result.returncode == 1
    assert "exercise 'tensor-square': the solution does not pass its own checks" in result.stderr


def test_lint_runs_fenced_blocks(tmp_path):
    text = (EVERY_CHECK / "10-every-check.toml").read_text().replace(
        "assert torch.arange(3).sum().item() == 3", "assert torch.arange(3).sum().item() == 4")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "zeros.npy").write_bytes((EVERY_CHECK / "data" / "zeros.npy").read_bytes())
    (tmp_path / "l.toml").write_text(text)
    result = tutor("lint", str(tmp_path))
    assert result.returncode == 1 and "AssertionError" in result.stderr and "python block" in result.stderr


@pytest.mark.timeout(900)
def test_builtin_lessons_lint_clean():
    """Every exercise of the curriculum proven: its solution passes, its starter does not, and a
    typed-in answer, each skipped step and each filled-in placeholder fail (the integrity attacks)."""
    result = tutor("lint", timeout=840)
    assert result.returncode == 0, result.stderr + result.stdout
    summary = next(line for line in result.stdout.splitlines() if "hard-coded answers refused" in line)
    print("\n" + summary)


def test_doctor_reports_versions_devices_and_protections():
    result = tutor("doctor")
    assert result.returncode == 0, result.stderr
    for words in ("torch", "devices", "cpu", "memory limit", "core dumps", "data dir"):
        assert words in result.stdout


def test_a_pt_expected_file_is_found_from_a_relative_pack_path(tmp_path):
    """The worker runs in its scratch folder: a pack given as a relative path found no .pt file."""
    import torch

    pack = tmp_path / "my-pack"
    (pack / "data").mkdir(parents=True)
    torch.save({"z": torch.arange(3.0)}, pack / "data" / "z.pt")
    (pack / "10-pt.toml").write_text('''format = 1
id = "pt"
title = "A .pt file"

[[exercise]]
id = "arange"
title = "Three"
prompt = "Make `z`, 0 to 2 as floats."
starter = "z = ...\\n"
solution = "import torch\\nz = torch.arange(3.0)\\n"
hints = ["a range", "torch.arange", "torch.arange(...)"]
answer = "prediction"
answer_reason = "the expected file holds a fixed value"

[[exercise.check]]
kind = "expected"
name = "z"
file = "data/z.pt"
key = "z"
''')
    result = subprocess.run([sys.executable, "-m", "tutor", "lint", "my-pack"], capture_output=True, text=True,
                            timeout=300, cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(TESTS.parent)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 lessons, 1 exercises" in result.stdout


def test_the_garbage_collector_is_off_only_while_starting(monkeypatch, capsys, tmp_path):
    """main() turns the collector off while it imports (the app's first screen), on for every
    command but the app (which turns it on after its first screen), and on again however it ends."""
    import gc

    import tutor.cli.listing
    from tutor.cli import main

    monkeypatch.setenv("PTREF_TUTOR_HOME", str(tmp_path))
    seen = []
    monkeypatch.setattr(tutor.cli.listing, "run_list", lambda args: seen.append(gc.isenabled()) or 0)
    assert gc.isenabled()
    assert main(["list"]) == 0
    assert seen == [True] and gc.isenabled()
    code = tmp_path / "code.py"
    code.write_text("x = 1\n")
    assert main(["check", "no-such-exercise", "--file", str(code)]) == 2  # a usage error on the way
    assert gc.isenabled()
    with pytest.raises(SystemExit):
        main(["--no-such-flag"])
    assert gc.isenabled()
