"""Comparison messages a beginner can act on, and no broadcasting of wrong shapes."""

import numpy as np
import pytest

from tutor.checking.compare import Options, compare, tolerances
from tutor.sandbox.values import Opaque, Special, TensorValue


def tensor(values, dtype="float32", **kwargs) -> TensorValue:
    array = np.array(values, dtype=np.float32 if dtype in ("float32", "bfloat16") else dtype)
    return TensorValue(kind="tensor", dtype=dtype, shape=tuple(array.shape), array=array, **kwargs)


def test_equal_tensors_pass():
    assert compare("x", tensor([[1, 2], [3, 4]]), tensor([[1, 2], [3, 4]])).ok


def test_wrong_shape_names_both_shapes_and_is_never_broadcast():
    outcome = compare("x", tensor([1.0, 1.0, 1.0]), tensor([[1.0], [1.0], [1.0]]))
    assert not outcome.ok
    assert outcome.message.startswith("`x` has shape (3, 1) but should have shape (3,).")
    assert "size-1 dimensions" in outcome.message


def test_same_elements_other_arrangement_is_pointed_out():
    outcome = compare("x", tensor(np.zeros((3, 3))), tensor(np.zeros(9)))
    assert "right number of elements, arranged differently" in outcome.message


def test_wrong_dtype_names_both_dtypes():
    outcome = compare("x", tensor([1, 2]), tensor([1, 2], dtype="int64"))
    assert outcome.message == "`x` has dtype torch.int64 but should have dtype torch.float32."
    assert compare("x", tensor([1, 2]), tensor([1, 2], dtype="int64"), Options(dtype=False)).ok


def test_wrong_device_and_requires_grad():
    assert compare("x", tensor([1.0]), tensor([1.0], device="cuda:0")).message == \
        "`x` is on cuda:0 but should be on cpu."
    message = compare("w", tensor([1.0], requires_grad=True), tensor([1.0])).message
    assert "`w` should require grad (requires_grad=True)" in message


def test_wrong_values_give_count_largest_difference_and_where():
    want = tensor(np.arange(12).reshape(3, 4))
    got_values = np.arange(12).reshape(3, 4).astype(np.float32)
    got_values[1, 2] += 2.5
    got_values[2, 3] -= 0.5
    outcome = compare("x", want, tensor(got_values))
    assert outcome.message == ("`x`: 2 of 12 elements are wrong; the largest difference is 2.5 at [1, 2] "
                               "(expected 6, got 8.5).")
    mismatch = outcome.mismatch
    assert mismatch.count == 2 and mismatch.first_index == (1, 2) and mismatch.max_index == (1, 2)
    assert mismatch.differs[mismatch.row_labels.index("1")][mismatch.col_labels.index("2")]
    assert mismatch.got[mismatch.row_labels.index("1")][mismatch.col_labels.index("2")] == "8.5"


def test_integer_mismatch_reports_the_first_difference():
    outcome = compare("i", tensor([1, 2, 3], dtype="int64"), tensor([1, 5, 3], dtype="int64"))
    assert outcome.message == "`i`: 1 of 3 elements is wrong; the first is at [1] (expected 2, got 5)."


def test_default_tolerances_follow_torch_testing():
    assert tolerances("float32", Options()) == (1.3e-6, 1e-5)
    assert tolerances("float16", Options()) == (1e-3, 1e-5)
    assert tolerances("bfloat16", Options()) == (1.6e-2, 1e-5)
    assert tolerances("int64", Options()) == (0.0, 0.0)
    assert compare("x", tensor([1.0]), tensor([1.0 + 5e-6])).ok
    assert not compare("x", tensor([1.0]), tensor([1.0 + 5e-5])).ok
    assert compare("x", tensor([1.0]), tensor([1.01]), Options(rtol=0.1)).ok
    assert compare("x", tensor([float("nan"), np.inf]), tensor([float("nan"), np.inf])).ok
    assert not compare("x", tensor([np.inf]), tensor([-np.inf])).ok


def test_gradients_are_compared_when_asked():
    want = tensor([1.0, 2.0], requires_grad=True, grad=tensor([2.0, 4.0]))
    no_grad = tensor([1.0, 2.0], requires_grad=True)
    wrong_grad = tensor([1.0, 2.0], requires_grad=True, grad=tensor([2.0, 5.0]))
    assert compare("w", want, no_grad).ok  # grad is off by default
    assert "`w.grad` is None: call .backward()" in compare("w", want, no_grad, Options(grad=True)).message
    assert compare("w", want, wrong_grad, Options(grad=True)).message.startswith("`w.grad`: 1 of 2 elements")


def test_not_a_tensor_at_all():
    assert compare("x", tensor([1.0, 2.0]), [1.0, 2.0]).message == \
        "`x` should be a tensor, but it is a list of 2 items. torch.tensor(...) turns a list into a tensor."
    assert "it is None" in compare("x", tensor([1.0]), None).message
    numpy_array = TensorValue(kind="ndarray", dtype="float32", shape=(1,), array=np.ones(1, np.float32))
    assert "torch.from_numpy" in compare("x", tensor([1.0]), numpy_array).message


def test_python_numbers_and_item():
    assert compare("n", 3.0, 3.0000001).ok
    assert compare("n", 3, 3).ok
    assert "off by 0.5" in compare("n", 3.0, 3.5).message
    assert "Use `.item()`" in compare("n", 3.0, tensor(3.0)).message


def test_sequences_dicts_specials_and_objects():
    assert compare("t", (tensor([1.0]), 2), (tensor([1.0]), 2)).ok
    assert compare("t", (tensor([1.0]), 2), (tensor([2.0]), 2)).message.startswith("`t[0]`: the value is wrong")
    assert compare("t", [1, 2], [1]).message == "`t` has 1 items but should have 2."
    assert "missing the keys 'b'" in compare("d", {"a": 1, "b": 2}, {"a": 1}).message
    assert compare("s", Special("size", (2, 3)), (2, 3)).ok
    assert compare("s", Special("dtype", "float32"), Special("dtype", "float64")).message == \
        "`s` is torch.float64 but should be torch.float32."
    linear = Opaque("torch.nn.modules.linear.Linear", "Linear(...)")
    assert compare("m", linear, Opaque("torch.nn.modules.linear.Linear", "x")).ok
    assert "should be a torch.nn.modules.linear.Linear" in compare("m", linear, 3).message


@pytest.mark.parametrize("bits, value", [(0x3F80, 1.0), (0xC000, -2.0), (0x7F80, np.inf), (0x3E20, 0.15625)])
def test_bfloat16_bits_widen_exactly(bits, value):
    from tutor.sandbox.values import _array_from_wire

    array = _array_from_wire(bytearray(np.array([bits], dtype="<u2").tobytes()), "bf16bits", (1,))
    assert array.dtype == np.float32 and array[0] == value


def test_float8_tables_match_the_formats():
    from tutor.sandbox.values import _float8_table

    e4m3 = _float8_table("float8_e4m3fnbits")
    assert e4m3[0x38] == 1.0 and e4m3[0x7E] == 448.0 and np.isnan(e4m3[0x7F]) and e4m3[0x01] == 2.0**-9
    e5m2 = _float8_table("float8_e5m2bits")
    assert e5m2[0x3C] == 1.0 and e5m2[0x7B] == 57344.0 and e5m2[0x7C] == np.inf


def test_nan_where_a_number_was_expected_is_named():
    outcome = compare("x", tensor([1.0, 70.25, 3.0]), tensor([1.0, float("nan"), 3.0]))
    assert outcome.message == "`x`: 1 of 3 elements is wrong; it holds NaN where 70.25 was expected, at [1]."


def test_an_uncalled_method_is_pointed_out_not_dumped():
    method = Opaque("builtin_function_or_method", "<built-in method type of Tensor object at 0x7f>")
    message = compare("type_name", "torch.FloatTensor", method).message
    assert message == ("`type_name` should be the string 'torch.FloatTensor', but it is a method or function "
                       "itself, not its result (did you forget the `()`?).")
    assert "Opaque" not in compare("n", 3, method).message


def test_one_number_reads_like_a_number():
    outcome = compare("loss", tensor(1.0421), tensor(0.9325))
    assert outcome.message == "`loss` is 0.9325 but should be 1.042 (off by 0.1096)."


def test_hints_for_sequences_of_tensors_and_numpy_dtypes():
    assert "torch.stack(...)" in compare("x", tensor([[1.0], [2.0]]), (tensor([1.0]), tensor([2.0]))).message
    want = TensorValue(kind="ndarray", dtype="float64", shape=(1,), array=np.ones(1))
    got = TensorValue(kind="ndarray", dtype="float32", shape=(1,), array=np.ones(1, np.float32))
    assert compare("r", want, got).message == "`r` has dtype float32 but should have dtype float64."
