"""Every catalogue entry against the error real torch code raises, so a reworded message fails here."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.utils.data import DataLoader

from tutor.checking.explain import Explanation, catalogue_ids, explain

CUDA = torch.cuda.is_available()
needs_cuda = pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU (these messages only exist there)")


def raised(action) -> BaseException:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - we want whatever torch raises
            return exc
    raise AssertionError("the code was expected to raise")


# --- learner mistakes, as small functions ------------------------------------------------------

def linear_fed_images():
    nn.Linear(784, 64)(torch.rand(64, 28, 28))


def matmul_wrong_inner():
    torch.ones(2, 3) @ torch.ones(4, 5)


def inplace_after_sigmoid():
    x = torch.ones(3, requires_grad=True)
    y = x.sigmoid()
    y.mul_(2)
    y.sum().backward()


def weight_changed_before_backward():
    w = torch.ones(3, requires_grad=True)
    loss = (w * w).sum()
    with torch.no_grad():
        w.add_(1)
    loss.backward()


def leaf_update_without_no_grad():
    w = torch.ones(3, requires_grad=True)
    w -= 0.1 * torch.ones(3)


def backward_twice():
    x = torch.ones(3, requires_grad=True)
    loss = x.exp().sum()
    loss.backward()
    loss.backward()


class ForgotSuperModule(nn.Module):
    def __init__(self):
        self.fc = nn.Linear(3, 2)


class ForgotSuperParameter(nn.Module):
    def __init__(self):
        self.w = nn.Parameter(torch.ones(2))


class ForgotSuperBuffer(nn.Module):
    def __init__(self):
        self.register_buffer("b", torch.ones(2))


class ForgotSuperPlain(nn.Module):
    def __init__(self):
        self.scale = 2.0

    def forward(self, x):
        return x * self.scale


class TwoInputs(nn.Module):
    def forward(self, x, y):
        return x + y


class OptionalInput(nn.Module):
    def forward(self, x, y=None):
        return x


def mse_double_target_backward():
    prediction = torch.rand(3, requires_grad=True)
    nn.functional.binary_cross_entropy(prediction, torch.ones(3, dtype=torch.float64)).backward()


class Empty(nn.Module):
    def __init__(self):
        super().__init__()


def parameters_used_twice():
    model = nn.Linear(2, 2)
    parameters = model.parameters()
    list(parameters)
    torch.optim.SGD(parameters, lr=0.1)


def collate_different_sizes():
    list(DataLoader([torch.ones(3), torch.ones(4)], batch_size=2))


def long_tensor_add_float_inplace():
    t = torch.ones(3, dtype=torch.long)
    t += 0.5


# --- the cases: entry id -> (code that raises, words the explanation must contain) ---------------

CASES: list[tuple[str, object, tuple[str, ...]]] = [
    ("matmul-shapes", linear_fed_images, ("28 and 784", "64 images", "x.flatten(1)", "nn.Flatten()")),
    ("matmul-shapes", matmul_wrong_inner, ("3 and 4", "must be 4")),
    ("matvec-shapes", lambda: torch.ones(2, 3) @ torch.ones(4), ("2x3", "has 4", "needs 3 elements")),
    ("matvec-shapes", lambda: torch.ones(2, 3) @ torch.ones(2), ("2x3", "has 2", "m.T @ v")),
    ("dot-sizes", lambda: torch.ones(3) @ torch.ones(4), ("3 and 4 elements",)),
    ("bmm-shapes", lambda: torch.bmm(torch.ones(2, 3, 4), torch.ones(2, 5, 6)), ("[2, 4]", "[2, 5]")),
    ("conv-channels", lambda: nn.Conv2d(3, 16, 3)(torch.ones(8, 1, 28, 28)),
     ("expects 3 input channels", "[8, 1, 28, 28], has 1", "in_channels 1")),
    ("conv-channels", lambda: nn.Conv2d(3, 16, 3)(torch.ones(8, 28, 28, 3)),
     ("has 28 there", "channels-last", "x.permute(0, 3, 1, 2)")),
    ("conv-input-dims", lambda: nn.Conv2d(1, 16, 3)(torch.ones(8, 784)),
     ("conv2d", "3-D", "4-D", "2 dimensions: [8, 784]", "x.view(-1, 1, 28, 28)")),
    ("conv-input-dims", lambda: nn.Conv2d(1, 16, 3)(torch.ones(8, 1, 1, 28, 28)), ("5 dimensions", "squeeze")),
    ("conv-input-dims", lambda: nn.Conv1d(1, 4, 3)(torch.ones(28)), ("conv1d", "1 dimension: [28]", "unsqueeze")),
    ("conv-kernel-too-big", lambda: nn.Conv2d(1, 4, 5)(torch.ones(1, 1, 3, 3)), ("(5 x 5)", "(3 x 3")),
    ("broadcast", lambda: torch.ones(2, 3) + torch.ones(2, 4), ("dimension 1", "a has 3", "b has 4")),
    # (5, 3, 4) * (2, 4): PyTorch's "dimension 1" is dim 1 of the longer shape, dim 0 of b.
    ("broadcast", lambda: torch.ones(5, 3, 4) * torch.ones(2, 4),
     ("from the right", "dimension 1 (numbered in the longer shape", "a has 3", "b has 2")),
    ("reshape-size", lambda: torch.ones(10).reshape(3, 4), ("[3, 4]", "12 elements", "has 10")),
    ("reshape-size", lambda: torch.ones(10).view(-1, 3), ("[-1, 3]", "multiply to 3", "divide 10")),
    ("reshape-two-inferred", lambda: torch.ones(12).view(-1, -1), ("-1 more than once",)),
    ("view-non-contiguous", lambda: torch.ones(3, 4).t().view(12), (".reshape(", ".contiguous()")),
    ("stack-sizes", lambda: torch.stack([torch.ones(3), torch.ones(4)]), ("entry 0 is [3]", "entry 1 is [4]")),
    ("stack-sizes", collate_different_sizes, ("entry 0 is [3]", "entry 1 is [4]", "DataLoader", "collate_fn")),
    ("cat-sizes", lambda: torch.cat([torch.ones(2, 3), torch.ones(2, 4)]),
     ("along dimension 0", "index 1", "size 4 where 3")),
    ("cat-sizes", lambda: torch.cat([torch.ones(2, 3), torch.ones(3, 3)], dim=1),
     ("along dimension 1", "size 3 where 2")),
    ("cat-ndim", lambda: torch.cat([torch.ones(2, 3), torch.ones(3)]), ("2-D and 1-D",)),
    ("index-out-of-bounds", lambda: torch.ones(3, 4)[5], ("Index 5", "dimension 0", "size 3", "0 to 2")),
    ("index-out-of-bounds", lambda: torch.ones(3, 4)[:, 7], ("Index 7", "dimension 1", "size 4", "0 to 3")),
    ("index-out-of-bounds", lambda: torch.ones(3)[-4], ("Index -4", "-3 to -1")),
    ("index-out-of-bounds", lambda: torch.ones(0)[0], ("empty",)),
    ("dim-out-of-range", lambda: torch.ones(3).sum(dim=1), ("dimension 1", "-1 to 0")),
    ("linear-dtype", lambda: nn.Linear(3, 2)(torch.ones(1, 3, dtype=torch.float64)),
     ("Double (float64)", "Float (float32)", "x.float()", "numpy")),
    ("linear-dtype", lambda: nn.Linear(3, 2)(torch.ones(1, 3, dtype=torch.long)), ("Long (int64)", "x.float()")),
    ("matmul-dtype", lambda: torch.ones(2, 3) @ torch.ones(3, 2, dtype=torch.float64), ("float32 and float64",)),
    ("matmul-dtype", lambda: torch.ones(2, 3, dtype=torch.long) @ torch.ones(3, 2), ("int64 and float32",)),
    ("scalar-type", lambda: torch.bmm(torch.ones(1, 2, 2), torch.ones(1, 2, 2, dtype=torch.float64)),
     ("Float (float32)", "Double (float64)", ".float()")),
    ("found-dtype", mse_double_target_backward, ("Double (float64)", "Float (float32)")),
    ("mixed-dtypes", lambda: torch.ones(3).dot(torch.ones(3, dtype=torch.float64)), ("different dtypes",)),
    ("mixed-dtypes", lambda: torch.ones(2, 3, dtype=torch.float64) @ torch.ones(3), ("different dtypes",)),
    ("layer-input-type", lambda: nn.Conv2d(1, 1, 1)(torch.ones(1, 1, 2, 2, dtype=torch.float64)),
     ("float64", "float32", "x.float()")),
    ("layer-input-type", lambda: nn.Conv2d(1, 1, 1)(torch.ones(1, 1, 2, 2, dtype=torch.uint8)),
     ("uint8", "/ 255")),
    # The meta device gives the same kind of message without a GPU (so do MPS Macs).
    ("different-devices", lambda: torch.cat([torch.ones(2, device="meta"), torch.ones(2)]),
     ("cpu and meta", "model.to(device)")),
    ("kernel-dtype", lambda: torch.arange(3).softmax(0), ("Long (int64)", ".float()")),
    ("kernel-dtype", lambda: nn.CrossEntropyLoss()(torch.ones(4, 3, dtype=torch.long), torch.tensor([0, 1, 2, 0])),
     ("Long (int64)",)),
    ("numpy-requires-grad", lambda: torch.ones(3, requires_grad=True).numpy(), ("t.detach().numpy()",)),
    ("numpy-requires-grad", lambda: np.array(torch.ones(3, requires_grad=True) * 2), ("detach",)),
    ("numpy-device", lambda: torch.ones(3, device="meta").numpy(), ("on meta", "t.cpu().numpy()")),
    ("numpy-object-array", lambda: torch.tensor(np.array([1, "a"], dtype=object)), ("dtype object",)),
    ("tensor-invalid-data", lambda: torch.tensor([1.0, "2.5"]), ("contains a str",)),
    ("tensor-infer-dtype", lambda: torch.tensor([1, None]), ("NoneType", "float('nan')")),
    ("tensor-ragged", lambda: torch.tensor([[1, 2], [3]]), ("dim 1 has 1 item where 2",)),
    ("input-not-tensor", lambda: torch.sum([1, 2, 3]), ("sum()", "got a list", "torch.tensor(")),
    ("input-not-tensor", lambda: nn.Linear(3, 2)([1.0, 2.0, 3.0]), ("linear()", "got a list")),
    ("input-not-tensor", lambda: torch.exp(np.ones(2)), ("exp()", "ndarray", "torch.from_numpy")),
    ("mean-integer", lambda: torch.arange(5).mean(), ("mean()", "Long (int64)", "t.float().mean()")),
    ("std-var-integer", lambda: torch.arange(5).std(), ("std()",)),
    ("requires-grad-integer", lambda: torch.tensor([1, 2, 3], requires_grad=True), ("floating-point",)),
    ("requires-grad-integer", lambda: torch.arange(3).requires_grad_(), ("floating-point",)),
    ("cast-result", long_tensor_add_float_inplace, ("Float", "Long tensor", "x.float()")),
    ("index-dtype", lambda: torch.ones(3)[torch.tensor([0.5])], ("idx.long()",)),
    ("embedding-index-dtype", lambda: nn.Embedding(3, 2)(torch.tensor([0.0])), ("torch.FloatTensor", ".long()")),
    ("backward-non-scalar", lambda: (torch.ones(3, requires_grad=True) * 2).backward(),
     ("more than one element", ".sum().backward()", "torch.ones_like")),
    ("grad-is-none", lambda: torch.ones(3, requires_grad=True).grad.zero_(), (".zero_ on None", "backward()")),
    ("grad-is-none", lambda: torch.ones(3, requires_grad=True).grad.data, (".data on None",)),
    ("none-operand", lambda: 0.1 * torch.ones(3, requires_grad=True).grad, ("`*`", "float * NoneType")),
    ("inplace-modified", inplace_after_sigmoid, ("shape [3]", "output of Sigmoid", "in place (once)")),
    ("inplace-modified", weight_changed_before_backward, ("shape [3]", "in place (once)")),
    ("inplace-modified", lambda: nn.ReLU(inplace=True)(torch.ones(2, requires_grad=True).sigmoid()).sum().backward(),
     ("output of Sigmoid", "ReLU(inplace=True)")),
    ("inplace-leaf", leaf_update_without_no_grad, ("requires_grad=True", "torch.no_grad()")),
    ("backward-twice", backward_twice, ("already", "retain_graph=True")),
    ("backward-no-grad-fn", lambda: (torch.ones(3) * 2).sum().backward(), ("requires_grad=True",)),
    ("item-many-elements", lambda: torch.ones(3).item(), ("3 elements", "t.sum().item()")),
    ("only-one-element", lambda: float(torch.ones(3)), ("float(t)",)),
    ("only-one-element", lambda: torch.tensor([torch.ones(2), torch.ones(2)]), ("torch.stack",)),
    ("bool-ambiguous", lambda: bool(torch.ones(3) > 0), (".all()", ".any()")),
    ("module-before-init", ForgotSuperModule, ("a layer (module)", "super().__init__()")),
    ("module-before-init", ForgotSuperParameter, ("a parameter",)),
    ("module-before-init", ForgotSuperBuffer, ("a buffer",)),
    ("module-init-not-run", lambda: ForgotSuperPlain()(torch.ones(2)),
     ("ForgotSuperPlain has no _", "ForgotSuperPlain.__init__")),
    ("module-init-not-run", lambda: list(ForgotSuperPlain().parameters()), ("_parameters",)),
    ("forward-arg-count", lambda: nn.Linear(3, 2)(torch.ones(3), torch.ones(3)),
     ("2 inputs", "Linear module", "takes 1 input")),
    ("forward-arg-count", lambda: OptionalInput()(1, 2, 3), ("3 inputs", "OptionalInput", "at most 2 inputs")),
    ("forward-missing-arg", lambda: nn.Linear(3, 2)(), ("Linear module without 'input'",)),
    ("forward-missing-arg", lambda: TwoInputs()(1), ("TwoInputs module without 'y'",)),
    ("forward-unexpected-keyword", lambda: nn.Linear(3, 2)(x=torch.ones(3)), ("Linear.forward()", "`x`")),
    ("ce-target-dtype", lambda: nn.CrossEntropyLoss()(torch.ones(4, 3), torch.ones(4)),
     ("Float (float32)", "target.long()")),
    ("ce-target-dtype", lambda: nn.CrossEntropyLoss()(torch.ones(4, 3), torch.ones(4, dtype=torch.int32)),
     ("Int (int32)",)),
    ("ce-multi-target", lambda: nn.NLLLoss()(torch.ones(4, 3), torch.ones(4, 3, dtype=torch.long)),
     ("argmax(dim=1)",)),
    ("ce-multi-target", lambda: nn.CrossEntropyLoss()(torch.ones(4, 3), torch.zeros(4, 1, dtype=torch.long)),
     ("squeeze(1)",)),
    ("ce-probability-target", lambda: nn.CrossEntropyLoss()(torch.ones(4, 3), torch.ones(4, 3, dtype=torch.long)),
     ("probabilities", "Long (int64)")),
    ("target-out-of-bounds", lambda: nn.CrossEntropyLoss()(torch.ones(4, 3), torch.tensor([0, 1, 2, 3])),
     ("label 3", "fewer than 4 classes", "at least 4")),
    ("target-out-of-bounds", lambda: nn.CrossEntropyLoss()(torch.ones(4, 3), torch.tensor([0, 1, -1, 2])),
     ("label -1", "negative")),
    ("loss-batch-size", lambda: nn.CrossEntropyLoss()(torch.ones(4, 3), torch.tensor([0, 1, 2])),
     ("4 predictions but 3 targets",)),
    ("loss-target-size", lambda: nn.BCELoss()(torch.rand(4, 1), torch.ones(4)),
     ("target is [4]", "prediction [4, 1]", "squeeze(-1)")),
    ("embedding-index", lambda: nn.Embedding(10, 3)(torch.tensor([12])), ("num_embeddings",)),
    ("embedding-index", lambda: torch.ones(3).index_select(0, torch.tensor([5])), ("index_select",)),
    ("rnn-input-size", lambda: nn.LSTM(10, 20)(torch.ones(5, 3, 7)), ("expects 10 features", "got 7")),
    ("batchnorm-one-value", lambda: nn.BatchNorm1d(3)(torch.ones(1, 3)), ("[1, 3]", "model.eval()")),
    ("optimizer-empty", lambda: torch.optim.Adam(Empty().parameters()), ("nothing to update", "nn.ModuleList")),
    ("optimizer-empty", parameters_used_twice, ("used up",)),
    ("optimizer-non-leaf", lambda: torch.optim.SGD([torch.ones(3, requires_grad=True) * 2], lr=0.1),
     ("not a leaf",)),
    ("optimizer-single-tensor", lambda: torch.optim.SGD(torch.ones(3, requires_grad=True), lr=0.1),
     ("torch.FloatTensor", "[w]")),
]

CUDA_CASES: list[tuple[str, object, tuple[str, ...]]] = [
    ("different-devices", lambda: torch.ones(3, device="cuda") + torch.ones(3),
     ("cuda:0", "cpu", "model.to(device)")),
    ("different-devices", lambda: nn.Linear(3, 2).cuda()(torch.ones(1, 3)), ("cuda:0", "cpu")),
    ("numpy-device", lambda: torch.ones(3, device="cuda").numpy(), ("on cuda:0", "t.cpu().numpy()")),
    ("layer-input-type", lambda: nn.Conv2d(1, 1, 1)(torch.ones(1, 1, 2, 2, device="cuda")),
     ("on cuda", "on cpu", "model.to(device)")),
]


# Without a GPU the CUDA cases above skip; these are the formats PyTorch's C++ source prints for them
# (the strings in libtorch), so the parsing of their numbers is checked on every machine too.
CUDA_MESSAGE_FORMATS = [
    ("RuntimeError", "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!",
     "different-devices", "cuda:0 and cpu"),
    ("RuntimeError", "Expected all tensors to be on the same device, but got mat2 is on cpu, different from other "
     "tensors on cuda:0 (when checking argument in method wrapper_CUDA_mm)", "different-devices",
     "cpu and cuda:0 (mat2 is on cpu)"),
    ("TypeError", "can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host "
     "memory first.", "numpy-device", "on cuda:0"),
    ("RuntimeError", "Input type (torch.cuda.FloatTensor) and weight type (torch.FloatTensor) should be the same",
     "layer-input-type", "on cuda but the layer's weight is on cpu"),
    ("RuntimeError", "Input type (MPSFloatType) and weight type (torch.FloatTensor) should be the same",
     "layer-input-type", "on mps but the layer's weight is on cpu"),
    ("RuntimeError", "Input type (float) and bias type (c10::Half) should be the same", "layer-input-type",
     "float32 but the layer's bias is float16"),
]


@pytest.mark.parametrize(("error_type", "message", "entry_id", "words"), CUDA_MESSAGE_FORMATS)
def test_message_formats_only_a_gpu_produces(error_type, message, entry_id, words):
    explanation = explain(error_type, message)
    assert explanation is not None and explanation.id == entry_id
    assert words in explanation.text, explanation.text


def _check(entry_id: str, action, words: tuple[str, ...]) -> Explanation:
    exc = raised(action)
    explanation = explain(type(exc).__name__, str(exc))
    assert explanation is not None, f"no entry explains {type(exc).__name__}: {exc}"
    assert explanation.id == entry_id, f"{entry_id} expected, {explanation.id} matched {type(exc).__name__}: {exc}"
    for word in words:
        assert word in explanation.text, f"{word!r} missing from: {explanation.text}"
    return explanation


@pytest.mark.parametrize(("entry_id", "action", "words"), CASES,
                         ids=[f"{case[0]}-{index}" for index, case in enumerate(CASES)])
def test_entry_explains_the_error_torch_raises(entry_id, action, words):
    explanation = _check(entry_id, action, words)
    for part in (explanation.what, explanation.fix):
        assert part and "\n" not in part and "{" not in part and len(part) < 330, part
        assert part.endswith("."), part


@pytest.mark.cuda
@needs_cuda
@pytest.mark.parametrize(("entry_id", "action", "words"), CUDA_CASES,
                         ids=[f"{case[0]}-cuda-{index}" for index, case in enumerate(CUDA_CASES)])
def test_entry_explains_the_cuda_error_torch_raises(entry_id, action, words):
    _check(entry_id, action, words)


def test_every_entry_has_a_case_and_the_catalogue_is_large_enough():
    ids = catalogue_ids()
    assert len(ids) == len(set(ids)), "catalogue ids must be unique"
    assert len(ids) >= 25
    untested = set(ids) - {case[0] for case in CASES}
    assert not untested, f"entries without a real-torch test case: {sorted(untested)}"


@pytest.mark.parametrize(("error_type", "message"), [
    ("ValueError", "learning rate must be positive"),
    ("KeyError", "'weights'"),
    ("NameError", "name 'x' is not defined"),
    ("ZeroDivisionError", "division by zero"),
    ("AttributeError", "'NoneType' object has no attribute 'sum'"),  # more often a missing return than .grad
    ("TypeError", "unsupported operand type(s) for +: 'int' and 'str'"),
    ("ValueError", "index 5 is out of bounds for dimension 0 with size 3"),  # right words, wrong type
    ("RuntimeError", ""),
])
def test_messages_that_are_not_pytorch_errors_get_none(error_type, message):
    assert explain(error_type, message) is None


def test_python_errors_from_learner_code_get_none():
    for action in (lambda: int("seven"), lambda: {"a": 1}["b"], lambda: [1, 2][5]):
        exc = raised(action)
        assert explain(type(exc).__name__, str(exc)) is None, exc


def test_qualified_type_names_and_json():
    explanation = explain("builtins.RuntimeError", "a Tensor with 3 elements cannot be converted to Scalar")
    assert explanation is not None and explanation.id == "item-many-elements"
    assert explanation.to_json() == {"id": "item-many-elements", "what": explanation.what, "fix": explanation.fix}
    assert explanation.text == f"{explanation.what} {explanation.fix}"


def test_messages_are_scanned_only_so_far_and_fields_are_clipped():
    assert explain("RuntimeError", "x" * 10_000 + "grad can be implicitly created only for scalar outputs") is None
    explanation = explain("TypeError", f"new(): invalid data type '{'s' * 500}'")
    assert explanation is not None and len(explanation.what) < 200


@given(st.sampled_from(["RuntimeError", "TypeError", "ValueError", "IndexError", "AttributeError"]),
       st.text(max_size=300))
def test_any_message_gives_an_explanation_or_none_never_an_exception(error_type, message):
    result = explain(error_type, message)
    assert result is None or isinstance(result, Explanation)


def test_explain_does_not_import_torch():
    probe = ("import sys; import tutor.checking.explain as e; "
             "e.explain('RuntimeError', 'mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)'); "
             "print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
