"""The same learner code and an equivalent comparison, run by the tutor's peers.

A Jupyter kernel (what most learners use) and a fresh `python` process per check (what a naive
grader does). Each cell does what the tutor's check does: run the setup and the learner's code,
compare the results with the reference, and report.
"""

from __future__ import annotations

import subprocess
import sys

from tutor.bench.stats import summarise, time_ms

# Programs for other processes (a Jupyter kernel, a fresh interpreter): this module never imports torch.
PRELUDE = """
import torch
torch.set_num_threads(1)
ref_a = torch.arange(16.).view(4, 4)
def ref_normalise(x):
    return (x - x.mean(dim=1, keepdim=True)) / x.std(dim=1, keepdim=True)
"""

CELLS = {
    "a_one_line": """
row = torch.arange(16.)
square = row.view(4, 4)
verdict = square.shape == ref_a.shape and square.dtype == ref_a.dtype and torch.allclose(square, ref_a)
""",
    "b_function": """
def normalise(x):
    return (x - x.mean(dim=1, keepdim=True)) / x.std(dim=1, keepdim=True)
verdict = True
for case in range(10):
    torch.manual_seed(case)
    x = torch.randn(8, 16)
    got, want = normalise(x), ref_normalise(x)
    verdict = verdict and got.shape == want.shape and torch.allclose(got, want)
""",
    "c_training": """
torch.manual_seed(0)
x = torch.randn(64, 3)
y = x @ torch.tensor([[1.5], [-2.0], [0.5]]) + 0.3
model = torch.nn.Linear(3, 1)
optimiser = torch.optim.SGD(model.parameters(), lr=0.1)
for _ in range(200):
    optimiser.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimiser.step()
verdict = loss.item() < 1e-3
""",
}


class MissingExtra(RuntimeError):
    """The bench extra (jupyter_client, ipykernel) is not installed."""


def jupyter_latency(runs: dict[str, int]) -> dict:
    try:
        from jupyter_client.manager import start_new_kernel
    except ImportError:
        raise MissingExtra("the Jupyter comparison needs the bench extra: pip install 'ptref-tutor[bench]'") from None
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        _execute(client, PRELUDE)
        results = {}
        for key, cell in CELLS.items():
            _execute(client, cell + "\nassert verdict\n")  # warm, and proof the comparison passes
            results[key] = summarise(time_ms(lambda: _execute(client, cell), runs[key]))
        return results
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _execute(client, code: str) -> None:
    reply = client.execute_interactive(code, timeout=120, output_hook=lambda message: None)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"the Jupyter kernel failed: {reply['content'].get('evalue')}")


def subprocess_latency(runs: dict[str, int], python: str = sys.executable) -> dict:
    """A fresh interpreter per check: import torch, run, compare, exit."""
    results = {}
    for key, cell in CELLS.items():
        program = PRELUDE + cell + "\nprint('passed' if verdict else 'failed')\n"

        def once() -> None:
            completed = subprocess.run([python, "-c", program], capture_output=True, text=True, timeout=120)
            if completed.stdout.strip() != "passed":
                raise RuntimeError(f"the subprocess check failed: {completed.stderr[-300:]}")

        results[key] = summarise(time_ms(once, runs[key]))
    return results
