"""A smoke run of `ptref-tutor bench` with tiny counts, so the benchmark cannot silently break."""

import importlib.util
import json
import subprocess
import sys

import pytest

from conftest import TESTS

pytestmark = pytest.mark.smoke


def test_bench_runs_end_to_end_and_writes_the_documented_keys(tmp_path):
    out = tmp_path / "bench.json"
    args = [sys.executable, "-m", "tutor", "bench", "--runs", "2", "--json", str(out)]
    jupyter = importlib.util.find_spec("jupyter_client") is not None and importlib.util.find_spec("ipykernel")
    if not jupyter:
        args.append("--no-jupyter")
    result = subprocess.run(args, capture_output=True, text=True, timeout=600, cwd=TESTS.parent)
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(out.read_text())
    for key in ("check_latency_ms", "recovery_ms", "transfer_mb_s", "app", "lint_s", "machine", "goals", "startup",
                "footprint", "variants", "streaming", "drawing"):
        assert key in figures
    assert figures["drawing"]["mismatch_28x28_80col_truecolor"]["p50"] > 0 and "drawing: a 28x28" in result.stdout
    for workload in ("a_one_line", "b_function", "c_training"):
        row = figures["check_latency_ms"][workload]
        for peer in ("tutor", "subprocess") + (("jupyter",) if jupyter else ()):
            assert {"p50", "min", "max"} <= set(row[peer]) and row[peer]["p50"] > 0
    assert set(figures["recovery_ms"]) == {"timeout", "crash"}
    assert set(figures["transfer_mb_s"]) == {"4KB", "1MB", "16MB", "64MB"}
    assert all(row["tutor"]["mb_s"] > 0 and row["memcpy"]["mb_s"] > 0 for row in figures["transfer_mb_s"].values())
    keys = figures["app"]["keys"]
    assert {"F3 lessons", "ctrl+n next", "ctrl+p palette", "F2 hint", "F5 running"} <= set(keys)
    assert all(row["n"] == 2 and row["p95"] >= row["p50"] > 0 for row in keys.values()), keys
    assert "goals" in result.stdout and "app keys" in result.stdout


def test_bench_without_the_extra_says_how_to_install_it(tmp_path):
    if importlib.util.find_spec("jupyter_client") is not None:
        probe = "import sys; sys.modules['jupyter_client'] = None; sys.modules['ipykernel'] = None\n"
    else:
        probe = ""
    code = probe + "import importlib.util as u\nreal = u.find_spec\n" \
        "u.find_spec = lambda name, *a: None if name in ('jupyter_client', 'ipykernel') else real(name, *a)\n" \
        "from tutor.cli import main\nraise SystemExit(main(['bench', '--quick']))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "pip install 'ptref-tutor[bench]'" in result.stderr and "Traceback" not in result.stderr


def test_a_tiny_classroom_gives_every_learner_the_right_verdicts(tmp_path):
    out = tmp_path / "classroom.json"
    args = [sys.executable, "-m", "tutor", "bench", "classroom", "--learners", "2", "--minutes", "0.2",
            "--json", str(out)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=600, cwd=TESTS.parent)
    assert result.returncode == 0, result.stderr[-2000:] + result.stdout[-2000:]
    figures = json.loads(out.read_text())
    assert figures["learners"] == 2 and figures["checks"] > 0
    assert figures["wrong_verdicts"] == figures["lost_verdicts"] == 0
    assert figures["peak_pss_mb"] > 0 and figures["p99_ms"] > 0
    assert figures["timeouts"] >= 0 and "timeout_p99_ms" in figures
