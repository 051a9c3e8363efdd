"""Facts about the failing line's tensors and modules, from real learner code run as "<your code>"."""

from __future__ import annotations

import builtins
import json
import linecache
import statistics
import textwrap
import time

import pytest
import torch

from tutor.checking.explain import explain
from tutor.sandbox.worker.frame_facts import LEARNER_FILE, MAX_FACTS, frame_facts
from tutor.sandbox.worker.errors import LEARNER_FILE as RUNNER_LEARNER_FILE


def run_learner(code: str) -> tuple[BaseException, str, dict]:
    """Run code the way the worker does (compiled as the learner's file); return what it raised."""
    code = textwrap.dedent(code).lstrip("\n")
    linecache.cache[LEARNER_FILE] = (len(code), None, code.splitlines(True), LEARNER_FILE)
    namespace = {"__name__": "__main__", "__builtins__": builtins, "device": torch.device("cpu")}
    try:
        exec(compile(code, LEARNER_FILE, "exec", dont_inherit=True), namespace)
    except Exception as exc:  # noqa: BLE001 - the learner's error is the subject of the test
        return exc, code, namespace
    raise AssertionError("the learner code was expected to raise")


def test_the_file_name_is_the_runners():
    assert LEARNER_FILE == RUNNER_LEARNER_FILE


def test_linear_fed_unflattened_images():
    exc, code, _ = run_learner("""
        import torch
        from torch import nn
        model = nn.Linear(784, 64)
        x = torch.rand(64, 28, 28)
        out = model(x)
    """)
    assert frame_facts(exc, code) == ["`model` is Linear(784 -> 64), float32 on cpu",
                                      "`x` is float32 (64, 28, 28) on cpu"]
    explanation = explain(type(exc).__name__, str(exc))
    assert explanation is not None and "x.flatten(1)" in explanation.fix


def test_failing_line_in_a_method_the_learner_defined_and_called():
    exc, code, _ = run_learner("""
        import torch
        from torch import nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(784, 64)
                self.head = nn.Sequential(nn.ReLU(), nn.Linear(64, 10))

            def forward(self, x):
                hidden = self.fc(x)
                return self.head(hidden)

        net = Net()
        images = torch.rand(64, 28, 28)
        logits = net(images)
    """)
    # The innermost learner frame is forward() (torch's own frames below it are skipped).
    assert frame_facts(exc, code) == ["`self.fc` is Linear(784 -> 64), float32 on cpu",
                                      "`x` is float32 (64, 28, 28) on cpu"]


def test_forgotten_super_init_names_the_real_cause():
    exc, code, _ = run_learner("""
        import torch
        from torch import nn

        class Classifier(nn.Module):
            def __init__(self):
                self.fc1 = nn.Linear(784, 128)
                self.fc2 = nn.Linear(128, 10)

            def forward(self, x):
                return self.fc2(torch.relu(self.fc1(x.flatten(1))))

        model = Classifier()
    """)
    facts = frame_facts(exc, code)
    assert facts == ["`self` is a Classifier whose nn.Module.__init__ has not run (its __init__ must call "
                     "super().__init__() before anything else)"]
    explanation = explain(type(exc).__name__, str(exc))
    assert explanation is not None and explanation.id == "module-before-init"
    assert "super().__init__()" in explanation.fix


def test_module_summary_weights_and_grad():
    exc, code, _ = run_learner("""
        import torch
        from torch import nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(784, 64)
                self.out = nn.Linear(64, 10)

            def forward(self, x):
                return x @ self.fc.weight + self.fc.weight.grad.sum()

        net = Net()
        y = net(torch.rand(8, 784))
    """)
    facts = frame_facts(exc, code)
    assert facts[:2] == ["`x` is float32 (8, 784) on cpu",
                         "`self.fc.weight` is float32 (64, 784) on cpu, requires grad"]
    assert "`self.fc.weight.grad` is None" in facts


def test_grad_before_the_first_backward_is_none():
    exc, code, _ = run_learner("""
        import torch
        w = torch.ones(3, requires_grad=True)
        w.grad.zero_()
    """)
    assert frame_facts(exc, code) == ["`w.grad` is None"]


def test_small_integer_tensors_show_values_and_assigned_names_are_skipped():
    exc, code, _ = run_learner("""
        import torch
        from torch import nn
        loss_fn = nn.CrossEntropyLoss()
        logits = torch.randn(4, 3, requires_grad=True)
        labels = torch.tensor([0, 1, 2, 3])
        loss = torch.zeros(())
        loss = loss_fn(logits, labels)
    """)
    # `loss` is assigned on this line, so its old value is no fact about the failure.
    assert frame_facts(exc, code) == ["`loss_fn` is CrossEntropyLoss",
                                      "`logits` is float32 (4, 3) on cpu, requires grad",
                                      "`labels` is int64 (4,) on cpu: [0, 1, 2, 3]"]


def test_non_contiguous_lists_numpy_and_numbers():
    exc, code, _ = run_learner("""
        import numpy as np
        import torch
        x = torch.ones(3, 4).t()
        y = x.view(12)
    """)
    assert frame_facts(exc, code) == ["`x` is float32 (4, 3) on cpu, not contiguous"]
    exc, code, _ = run_learner("""
        import torch
        tensors = [torch.ones(3), torch.ones(4)]
        batch = torch.stack(tensors)
    """)
    assert frame_facts(exc, code) == ["`tensors` is a list of 2 tensors, shapes (3,), (4,)"]
    exc, code, _ = run_learner("""
        import numpy as np
        import torch
        array = np.ones((3, 4))
        rows = 5
        t = torch.from_numpy(array).view(rows, -1)
    """)
    assert frame_facts(exc, code) == ["`array` is a numpy float64 array (3, 4)", "`rows` is the int 5"]


def test_the_failing_expression_comes_first_in_a_multi_line_statement():
    exc, code, _ = run_learner("""
        import torch
        scale = torch.ones(2)
        a = torch.ones(5, 3, 4)
        b = torch.ones(2, 4)
        c = (scale.sum()
             + a * b)
    """)
    facts = frame_facts(exc, code)
    assert facts == ["`a` is float32 (5, 3, 4) on cpu", "`b` is float32 (2, 4) on cpu",
                     "`scale` is float32 (2,) on cpu"]


def test_at_most_six_one_line_facts_and_json_safe():
    names = [f"t{index}" for index in range(10)]
    assignments = "\n".join(f"{name} = torch.ones({index + 1})" for index, name in enumerate(names))
    exc, code, _ = run_learner(f"import torch\n{assignments}\ntotal = {' + '.join(names)}\n")
    facts = frame_facts(exc, code)
    assert len(facts) == MAX_FACTS
    assert all("\n" not in fact and len(fact) <= 160 for fact in facts)
    assert json.loads(json.dumps(facts)) == facts
    assert frame_facts(exc, code, limit=2) == facts[:2]


def test_learner_code_is_never_called():
    exc, code, namespace = run_learner("""
        import torch
        from torch import nn
        CALLS = []

        class Loud(torch.Tensor):
            @classmethod
            def __torch_function__(cls, func, types, args=(), kwargs=None):
                CALLS.append("torch_function")
                return super().__torch_function__(func, types, args, kwargs or {})

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(3, 2)
                self.loud = torch.ones(2).as_subclass(Loud)

            @property
            def extra(self):
                CALLS.append("property")
                return torch.ones(1)

            def __getattr__(self, name):
                CALLS.append("getattr " + name)
                return super().__getattr__(name)

            def __repr__(self):
                CALLS.append("repr")
                return "Net"

            def forward(self, x):
                return self.fc.weight @ x + self.extra + self.loud + self.nothing + self

        Net()(torch.ones(4))
    """)
    calls_before = list(namespace["CALLS"])
    facts = frame_facts(exc, code)
    assert namespace["CALLS"] == calls_before
    assert "`self.fc.weight` is float32 (2, 3) on cpu, requires grad" in facts
    assert "`self.loud` is a Loud (a Tensor subclass)" in facts
    assert "`self` is a Net (nn.Module): layers fc; 8 parameters, float32 on cpu" in facts


def test_attributes_of_a_learners_plain_object():
    exc, code, namespace = run_learner("""
        import torch
        CALLS = []

        class Images(torch.utils.data.Dataset):
            def __init__(self):
                self.images = torch.rand(100, 28, 28)
                self.labels = torch.arange(100)

            @property
            def size(self):
                CALLS.append("property")
                return 100

            def __len__(self):
                return 100

            def __getitem__(self, index):
                return self.images[index + self.size], self.labels[index]

        first = Images()[0]
    """)
    assert frame_facts(exc, code) == ["`self.images` is float32 (100, 28, 28) on cpu", "`index` is the int 0",
                                      "`self.labels` is int64 (100,) on cpu"]
    assert namespace["CALLS"] == ["property"]  # once, by the learner's own line; never by frame_facts


def test_source_from_linecache_when_not_given_as_in_a_function_check():
    _, _, namespace = run_learner("""
        import torch
        def normalise(x):
            return x / x.sum(dim=1)
        raise ValueError("stop here; the check calls normalise later")
    """)
    try:
        namespace["normalise"](torch.ones(2, 3))  # called from this file, as the runner's checks do
    except RuntimeError as exc:
        assert frame_facts(exc) == ["`x` is float32 (2, 3) on cpu"]
    else:
        raise AssertionError("normalise should have raised")


def test_no_learner_frame_or_no_source_gives_no_facts():
    try:
        torch.ones(2) @ torch.ones(3)
    except RuntimeError as exc:
        assert frame_facts(exc, "x = 1\n") == []
    exc, code, _ = run_learner("import torch\nx = torch.ones(2)\ny = x @ torch.ones(3)\n")
    assert frame_facts(exc, "this is not ( python") == []
    try:
        compile("x = (", LEARNER_FILE, "exec")
    except SyntaxError as exc:
        assert frame_facts(exc, "x = (") == []


def test_repeated_calls_agree_and_print_their_cost():
    exc, code, _ = run_learner("""
        import torch
        from torch import nn
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
        x = torch.rand(64, 28, 28)
        out = model[1](x)
    """)
    timings = []
    for _ in range(50):
        started = time.perf_counter()
        facts = frame_facts(exc, code)
        timings.append((time.perf_counter() - started) * 1000)
    assert facts == ["`model` is Sequential of 4: Flatten, Linear, ReLU, Linear, float32 on cpu",
                     "`x` is float32 (64, 28, 28) on cpu"]
    print(f"frame_facts: median {statistics.median(timings):.2f} ms, max {max(timings):.2f} ms over 50 calls")


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_tensors_on_two_devices():
    exc, code, _ = run_learner("""
        import torch
        from torch import nn
        model = nn.Linear(3, 2).to("cuda")
        x = torch.ones(4, 3)
        out = model(x)
    """)
    assert frame_facts(exc, code) == ["`model` is Linear(3 -> 2), float32 on cuda:0", "`x` is float32 (4, 3) on cpu"]
