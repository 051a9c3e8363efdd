"""Verdicts of lessons 01-04 that issue 11 found wrong: each wrong answer once accepted now fails,
each right answer once refused now passes (through a real Session and worker)."""

from __future__ import annotations

import pytest

from lessontools import check, session  # noqa: F401 - session is a fixture


def failed_messages(verdict) -> str:
    return " | ".join(result.message for result in verdict.checks if not result.passed)


# getting-started/pick-device: a constant passed on a machine without a GPU.

PICK_DEVICE = """
import torch

def pick_device():
    if torch.cuda.is_available():
        return torch.device("cuda:0")
    elif torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
"""


def test_pick_device_refuses_a_constant_device(session):
    verdict = check(session, "getting-started/pick-device",
                    "import torch\n\ndef pick_device():\n    return torch.device('cpu')\n")
    assert verdict.status == "failed"
    assert "pick_device_where(True, False)" in failed_messages(verdict)  # the machine it was wrong on


def test_pick_device_refuses_the_wrong_order(session):
    code = PICK_DEVICE.replace("torch.cuda.is_available()", "False", 1)  # never prefers CUDA
    verdict = check(session, "getting-started/pick-device", code)
    assert verdict.status == "failed"


def test_pick_device_accepts_an_indexed_cuda_device_and_elif(session):
    assert check(session, "getting-started/pick-device", PICK_DEVICE).passed


# getting-started/has-cuda: False and 0 typed in passed on a machine without a GPU.

def test_has_cuda_refuses_the_constants_of_this_machine(session):
    verdict = check(session, "getting-started/has-cuda", "def gpu_status():\n    return False, 0\n")
    assert verdict.status == "failed"
    assert "gpu_status_where(True, 1)" in failed_messages(verdict)


def test_has_cuda_refuses_asking_once_at_import(session):
    code = ("import torch\nhas_cuda = torch.cuda.is_available()\ncount = torch.cuda.device_count()\n\n"
            "def gpu_status():\n    return has_cuda, count\n")
    assert check(session, "getting-started/has-cuda", code).status == "failed"


def test_has_cuda_accepts_asking_torch_each_call(session):
    code = ("import torch\n\ndef gpu_status():\n    available = torch.cuda.is_available()\n"
            "    return available, torch.cuda.device_count()\n")
    assert check(session, "getting-started/has-cuda", code).passed


def test_has_cuda_and_pick_device_accept_functions_imported_by_name(session):
    status = ("from torch.cuda import device_count, is_available\n\n"
              "def gpu_status():\n    return is_available(), device_count()\n")
    assert check(session, "getting-started/has-cuda", status).passed
    pick = ("import torch\nfrom torch.backends.mps import is_available as mps_ok\n"
            "from torch.cuda import is_available as cuda_ok\n\n"
            "def pick_device():\n    return torch.device('cuda' if cuda_ok() else 'mps' if mps_ok() else 'cpu')\n")
    assert check(session, "getting-started/pick-device", pick).passed


def test_pretending_a_machine_leaves_torch_as_it_was_even_when_the_call_raises(session):
    verdict = check(session, "getting-started/has-cuda", "def gpu_status():\n    raise ValueError('no')\n")
    assert verdict.status == "failed"
    probe = ("import torch\nprint(torch.cuda.is_available.__name__, torch.cuda.device_count.__name__, "
             "torch.backends.mps.is_available.__name__)\n")
    after = check(session, "getting-started/torch-version", probe)
    assert after.stdout == "is_available device_count is_available\n"


# getting-started/there-and-back: the ban on `.to` refused `ones.sum().to("cpu")`.

def test_there_and_back_accepts_to_cpu_for_the_total(session):
    code = "import torch\nones = torch.ones(n, device=device)\ntotal = ones.sum().to('cpu')\nprint(total.item())\n"
    assert check(session, "getting-started/there-and-back", code).passed


@pytest.mark.parametrize("moved", [
    "ones = torch.ones(n).to(device)\n",
    "ones = torch.ones(n)\nones = ones.to(device)\n",
])
def test_there_and_back_still_refuses_moving_ones_after_creating_it(session, moved):
    code = "import torch\n" + moved + "total = ones.sum().cpu()\nprint(total.item())\n"
    verdict = check(session, "getting-started/there-and-back", code)
    assert verdict.status == "failed"
    assert "directly" in failed_messages(verdict)


# tensor-info/dtype-not-callable: answers that only hold for the float32 CPU example passed.

@pytest.mark.parametrize("is_float32", [
    "rand_float.is_floating_point()",      # float64 is a float too
    "type_name == 'torch.FloatTensor'",    # the string names the device as well
    "True",
])
def test_dtype_not_callable_refuses_answers_true_only_for_the_example(session, is_float32):
    code = f"type_name = rand_float.type()\nkind = rand_float.dtype\nis_float32 = {is_float32}\n"
    verdict = check(session, "tensor-info/dtype-not-callable", code)
    assert verdict.status == "failed"
    assert "another input than the example" in failed_messages(verdict)


def test_dtype_not_callable_accepts_comparing_the_dtype(session):
    code = "import torch\ntype_name = rand_float.type()\nkind = rand_float.dtype\nis_float32 = kind is torch.float\n"
    assert check(session, "tensor-info/dtype-not-callable", code).passed


# indexing/index-pairs: index tensors and arange().flip() were refused; typed values must fail.

@pytest.mark.parametrize("code", [
    "import torch\npicked = square[[0, 2], [2, 2]]\nmain_diag = square[torch.arange(3), torch.arange(3)]\n"
    "anti_diag = square[torch.arange(3), torch.arange(3).flip(0)]\n",
    "import torch\npicked = square[torch.tensor([0, 2]), torch.tensor([2, 2])]\n"
    "main_diag = square[torch.tensor([0, 1, 2]), torch.tensor([0, 1, 2])]\n"
    "anti_diag = square[torch.tensor([0, 1, 2]), torch.tensor([2, 1, 0])]\n",
])
def test_index_pairs_accepts_index_tensors(session, code):
    assert check(session, "indexing/index-pairs", code).passed


@pytest.mark.parametrize("code", [
    "import torch\npicked = torch.tensor([2., 8.])\nmain_diag = torch.tensor([0., 4., 8.])\n"
    "anti_diag = torch.tensor([2., 4., 6.])\n",
    "picked = square[::2, 2]\nmain_diag = square.flatten()[::4]\nanti_diag = square.flatten()[2:7:2]\n",
])
def test_index_pairs_refuses_typed_values_and_slicing(session, code):
    assert check(session, "indexing/index-pairs", code).status == "failed"


# indexing/features-labels (new): the label column keeps its dimension.

def test_features_labels_refuses_a_label_vector_and_typed_column_counts(session):
    vector = "features = data[:, :-1]\nlabels = data[:, -1]\nclass_ids = data[:, -1].long()\n"
    assert "(N, 1)" in failed_messages(check(session, "indexing/features-labels", vector))
    typed = "features = data[:, :3]\nlabels = data[:, 3:]\nclass_ids = data[:, 3].long()\n"
    assert check(session, "indexing/features-labels", typed).status == "failed"
