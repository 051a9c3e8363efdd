"""Dtype and device errors, and making tensors from Python or numpy data (and back)."""

from __future__ import annotations

from tutor.checking.error_catalogue.entry import Entry
from tutor.checking.error_catalogue.fields import INTEGER_DTYPES, as_float_hint, dtype_label, plural, torch_dtype

_RT = ("RuntimeError",)


def _two_dtypes(groups: dict[str, str]) -> dict[str, str]:
    a, b = groups["a"], groups["b"]
    note = " (data made from numpy is often float64, while layers are float32)" if torch_dtype(a) == "float64" else ""
    return {"a_label": dtype_label(a), "b_label": dtype_label(b), "convert": as_float_hint(b), "note": note}


def _wanted_dtype(groups: dict[str, str]) -> dict[str, str]:
    want, found = groups["want"], groups["found"]
    if torch_dtype(want) == "int64":
        hint = "Indices and class labels must be integers: convert them with .long()."
    else:
        hint = f"Convert the odd one out with {as_float_hint(want)} so the dtypes agree."
    return {"want_label": dtype_label(want), "found_label": dtype_label(found), "hint": hint}


def _conv_types(groups: dict[str, str]) -> dict[str, str]:
    devices = ["cuda" if "cuda" in text.lower() else "mps" if "mps" in text.lower() else "cpu"
               for text in (groups["input"], groups["weight"])]
    if devices[0] != devices[1]:
        return {"differs": f"it is on {devices[0]} but the layer's {groups['param']} is on {devices[1]}",
                "hint": "Put the model and its inputs on one device: model.to(device) and x = x.to(device)."}
    dtype = torch_dtype(groups["input"])
    scale = " (and / 255 for uint8 images)" if dtype == "uint8" else ""
    return {"differs": f"it is {dtype_label(groups['input'])} but the layer's {groups['param']} is "
                       f"{dtype_label(groups['weight'])}",
            "hint": f"Convert the input to the layer's dtype, e.g. x = x{as_float_hint(groups['weight'])}{scale}."}


def _devices(groups: dict[str, str]) -> dict[str, str]:
    if groups["arg"]:
        return {"devices": f"{groups['c']} and {groups['d']} ({groups['arg']} is on {groups['c']})"}
    if groups["a"]:
        return {"devices": f"{groups['a']} and {groups['b']}"}
    return {"devices": f"{groups['e']} and {groups['f']}"}


def _kernel_dtype(groups: dict[str, str]) -> dict[str, str]:
    label = dtype_label(groups["dtype"])
    if torch_dtype(groups["dtype"]) in INTEGER_DTYPES:
        return {"label": label, "hint": "It needs floating-point input: convert with .float() first."}
    return {"label": label, "hint": "Convert the tensor to float32 with .float(), or do this step on another device."}


def _dtype_label(groups: dict[str, str]) -> dict[str, str]:
    return {"label": dtype_label(groups["dtype"])}


def _ragged(groups: dict[str, str]) -> dict[str, str]:
    return {"items": plural(int(groups["got"]), "item")}


def _not_tensor(groups: dict[str, str]) -> dict[str, str]:
    kind = groups["kind"].rsplit(".", 1)[-1]  # "numpy.ndarray" -> "ndarray"
    hints = {
        "list": "Make a tensor first: torch.tensor(values), or torch.stack(list_of_tensors).",
        "tuple": "Make a tensor first: torch.tensor(values), or torch.stack(tuple_of_tensors).",
        "ndarray": "Convert it first: torch.from_numpy(array) (or torch.tensor(array)).",
        "NoneType": "Find where that value should have been set (a function without `return` gives None).",
    }
    return {"hint": hints.get(kind, "Convert it to a tensor first, e.g. torch.tensor(value).")}


ENTRIES: tuple[Entry, ...] = (
    Entry("linear-dtype", _RT,
          r"mat1 and mat2 must have the same dtype, but got (?P<a>\w+) and (?P<b>\w+)",
          "The two sides of a matrix product have different dtypes, {a_label} and {b_label} (with nn.Linear: "
          "your input is {a_label}, the layer's weights {b_label}).",
          "Convert the input to the weights' dtype, e.g. x = x{convert}{note}.", _two_dtypes),
    Entry("matmul-dtype", _RT,
          r"expected m1 and m2 to have the same dtype, but got: (?P<a>[\w:<> ]+?) != (?P<b>[\w:<> ]+)$",
          "The two sides of a matrix product (@, mm, matmul) have different dtypes: {a_label} and {b_label}.",
          "Convert one to the other's dtype, e.g. b = b.to(a.dtype), or both with .float().", _two_dtypes),
    Entry("scalar-type", _RT,
          r"expected scalar type (?P<want>\w+) but found (?P<found>\w+)",
          "This operation needed {want_label} tensors but got a {found_label} one.",
          "{hint}", _wanted_dtype),
    Entry("found-dtype", _RT,
          r"Found dtype (?P<found>\w+) but expected (?P<want>\w+)",
          "Two tensors that must share a dtype differ: one is {found_label} where {want_label} was expected "
          "(a loss's target and prediction, for instance).",
          "{hint}", _wanted_dtype),
    Entry("mixed-dtypes", _RT,
          r"(?:must have the same dtype|to have same dtype|all inputs must share same datatype)",
          "The tensors in this operation have different dtypes, and it needs one dtype for all of them.",
          "Convert them to one dtype, e.g. .float() on each, or b.to(a.dtype)."),
    Entry("layer-input-type", _RT,
          r"Input type \((?P<input>[^)]+)\) and (?P<param>weight|bias) type \((?P<weight>[^)]+)\) should be the same",
          "The layer's input does not match its parameters: {differs}.",
          "{hint}", _conv_types),
    Entry("different-devices", _RT,
          r"Expected all tensors to be on the same device, but (?:found at least two devices, (?P<a>[\w:]+) and "
          r"(?P<b>[\w:]+)!|got (?P<arg>\w+) is on (?P<c>[\w:]+), different from other tensors on (?P<d>[\w:]+))"
          r"|Tensor on device (?P<e>[\w:]+) is not on the expected device (?P<f>[\w:]+)!",
          "This operation mixes tensors on {devices}; PyTorch never moves tensors between devices by itself.",
          "Put everything on one device: model.to(device), and .to(device) on every input and target.", _devices),
    Entry("kernel-dtype", ("NotImplementedError", "RuntimeError"),
          r"\"(?P<kernel>\w+)\" not implemented for '(?P<dtype>\w+)'",
          "This operation ({kernel}) has no version for {label} tensors.",
          "{hint}", _kernel_dtype),
    Entry("numpy-requires-grad", _RT,
          r"Can't call numpy\(\) on Tensor that requires grad",
          "numpy() refuses a tensor that requires grad, because numpy can't track its gradient.",
          "Use t.detach().numpy() (t.detach().cpu().numpy() if it may be on a GPU)."),
    Entry("numpy-device", ("TypeError",),
          r"can't convert (?P<device>[\w:]+) device type tensor to numpy",
          "numpy() only works on tensors in the computer's main memory, and this one is on {device}.",
          "Copy it over first: t.cpu().numpy() (t.detach().cpu().numpy() if it requires grad)."),
    Entry("numpy-object-array", ("TypeError",),
          r"can't convert np\.ndarray of type numpy\.object_",
          "PyTorch can't make a tensor from a numpy array of Python objects (dtype object), which is what numpy "
          "makes when the data mixes text and numbers or has rows of different lengths.",
          "Turn it into numbers first, e.g. array.astype(np.float32) once text and missing values are gone."),
    Entry("tensor-invalid-data", ("TypeError",),
          r"new\(\): invalid data type '(?P<kind>\w+)'",
          "torch.tensor() takes numbers (or nested lists of them), but your data contains a {kind}.",
          "Convert those values to numbers first (e.g. float(text)), or leave them out."),
    Entry("tensor-infer-dtype", _RT,
          r"Could not infer dtype of (?P<kind>\w+)",
          "torch.tensor() can't store a {kind}: it takes numbers, bools, or nested lists of them.",
          "Replace those values with numbers first (a missing value could become float('nan'))."),
    Entry("tensor-ragged", ("ValueError",),
          r"expected sequence of length (?P<want>\d+) at dim (?P<dim>\d+) \(got (?P<got>\d+)\)",
          "A tensor is rectangular, but in your nested list a sequence at dim {dim} has {items} where "
          "{want} were expected.",
          "Make every row the same length (pad or trim), or keep a list of tensors.", _ragged),
    Entry("input-not-tensor", ("TypeError",),
          r"(?P<fn>\w+)\(\): argument '(?P<arg>\w+)' \(position \d+\) must be Tensor, not (?P<kind>[\w.]+)",
          "{fn}() needs a tensor for `{arg}`, but got a {kind}.",
          "{hint}", _not_tensor),
    Entry("mean-integer", _RT,
          r"(?P<fn>\w+)\(\): could not infer output dtype\. Input dtype must be either a floating point or complex "
          r"dtype\. Got: (?P<dtype>\w+)",
          "{fn}() gives fractions, so it needs a floating-point tensor, but this one is {label}.",
          "Convert first: t.float().{fn}(), or pass dtype=torch.float32.", _dtype_label),
    Entry("std-var-integer", _RT,
          r"std and var only support floating point and complex dtypes",
          "std() and var() need a floating-point tensor, and this one has an integer (or bool) dtype.",
          "Convert first: t.float().std()."),
    Entry("requires-grad-integer", _RT,
          r"(?i)only Tensors of floating point (?:and complex )?dtype can require gradients",
          "Only floating-point tensors can have gradients, and this one has an integer (or bool) dtype.",
          "Create it as float: torch.tensor([1.0, 2.0], requires_grad=True), or t.float().requires_grad_()."),
    Entry("cast-result", _RT,
          r"result type (?P<result>\w+) can't be cast to the desired output type (?P<out>\w+)",
          "The result is {result}, but it has to be stored in a {out} tensor (as with x += 0.5 on an integer "
          "tensor), which would lose information.",
          "Convert the tensor first (x = x.float()), or use the form that makes a new tensor: x = x + 0.5."),
    Entry("index-dtype", ("IndexError",),
          r"tensors used as indices must be long, int, byte or bool tensors",
          "A tensor used as an index must hold integers (or bools for a mask), and this one does not.",
          "Convert it: x[idx.long()]."),
    Entry("embedding-index-dtype", _RT,
          r"Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; "
          r"but got (?P<kind>[\w.]+) instead",
          "nn.Embedding looks rows up by integer index, but the indices are a {kind}.",
          "Convert them: embedding(indices.long())."),
)
