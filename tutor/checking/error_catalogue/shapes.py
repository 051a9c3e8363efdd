"""Shape errors: matrix products, convolutions, broadcasting, reshaping, joining, indexing."""

from __future__ import annotations

from tutor.checking.error_catalogue.entry import Entry
from tutor.checking.error_catalogue.fields import plural, sizes, square_side

_RT = ("RuntimeError",)


def _matmul(groups: dict[str, str]) -> dict[str, str]:
    rows, cols, want = int(groups["r1"]), int(groups["c1"]), int(groups["r2"])
    if 0 < cols < want and (rows * cols) % want == 0:
        batch = rows * cols // want
        return {"hint": f"The left side, {rows}x{cols}, holds {batch}x{want} numbers: if they are {batch} images (or samples) "
                        f"that were not flattened, flatten them first, e.g. x.flatten(1) or nn.Flatten()."}
    return {"hint": f"Print both shapes: the left's last dimension must be {want} (or the layer's in_features "
                    f"must be {cols})."}


def _matvec(groups: dict[str, str]) -> dict[str, str]:
    rows, cols, length = int(groups["rows"]), int(groups["cols"]), int(groups["vec"])
    transpose = " (did you mean the transpose, m.T @ v?)" if rows == length else ""
    return {"hint": f"The vector needs {cols} elements{transpose}."}


def _conv_channels(groups: dict[str, str]) -> dict[str, str]:
    shape = sizes(groups["input"])
    want = int(groups["want"])
    if len(shape) >= 3 and shape[-1] == want:
        return {"hint": f"The {want} is at the end of your input, so it looks channels-last: move the channels "
                        f"to dimension 1, e.g. x.permute(0, 3, 1, 2) for a batch of images."}
    return {"hint": f"Give the input {want} channels in dimension 1, or make the layer's in_channels "
                    f"{groups['got']}; a batch with one channel is (N, 1, ...), e.g. grayscale images (N, 1, H, W)."}


def _conv_dims(groups: dict[str, str]) -> dict[str, str]:
    shape = sizes(groups["input"])
    unbatched, batched = int(groups["unbatched"]), int(groups["batched"])
    found = {"found": plural(len(shape), "dimension")}
    side = square_side(shape[-1]) if len(shape) == 2 and groups["op"] == "conv2d" else None
    if side:
        return found | {"hint": f"If the rows are flattened {side}x{side} images, shape them back: "
                                f"x.view(-1, 1, {side}, {side})."}
    if len(shape) < unbatched:
        return found | {"hint": "Add the missing dimension(s) with unsqueeze: x.unsqueeze(0) gives one sample a "
                                "channel, x.unsqueeze(1) gives a batch one."}
    if len(shape) > batched:
        return found | {"hint": "Remove the extra dimension(s), e.g. x.squeeze(dim) for a size-1 one."}
    return found | {"hint": "Reshape the input to (N, C, ...) for a batch."}


def _bad_shape(groups: dict[str, str]) -> dict[str, str] | None:
    parts = [part.strip() for part in groups["shape"].split(",") if part.strip()]
    size = int(groups["size"])
    known = 1
    for part in parts:
        if part != "-1":
            known *= int(part)
    if "-1" in parts:
        return {"problem": f"with -1 standing for one size, the others multiply to {known}, "
                           f"which does not divide {size}",
                "hint": f"Choose sizes whose product divides {size} (print x.shape)."}
    return {"problem": f"that is {known} elements, but the tensor has {size}",
            "hint": f"The sizes must multiply to exactly {size}; use -1 for one size to let PyTorch work it out."}


def _index(groups: dict[str, str]) -> dict[str, str]:
    size = int(groups["size"])
    if size == 0:
        return {"valid": "that dimension is empty (size 0), so no index is valid"}
    return {"valid": f"valid indices are 0 to {size - 1} (or -{size} to -1)"}


ENTRIES: tuple[Entry, ...] = (
    Entry("matmul-shapes", _RT,
          r"mat1 and mat2 shapes cannot be multiplied \((?P<r1>\d+)x(?P<c1>\d+) and (?P<r2>\d+)x(?P<c2>\d+)\)",
          "In a matrix product the left side's columns must equal the right side's rows, but here they are "
          "{c1} and {r2} (with nn.Linear: your input's last dimension is {c1}, the layer expects {r2} inputs).",
          "{hint}", _matmul),
    Entry("matvec-shapes", _RT,
          r"size mismatch, got input \((?P<input>\d+)\), mat \((?P<rows>\d+)x(?P<cols>\d+)\), vec \((?P<vec>\d+)\)",
          "A matrix times a vector needs as many vector elements as the matrix has columns, but the matrix is "
          "{rows}x{cols} and the vector has {vec}.",
          "{hint}", _matvec),
    Entry("dot-sizes", _RT,
          r"inconsistent tensor size, expected tensor \[(?P<a>\d+)\] and src \[(?P<b>\d+)\] to have the same "
          r"number of elements",
          "Two 1-D tensors that must be the same length have {a} and {b} elements (1-D @ 1-D, a dot product, "
          "reports this).",
          "Print both shapes; for a matrix product, make the operands 2-D with the sizes you mean."),
    Entry("bmm-shapes", _RT,
          r"Expected size for first two dimensions of batch2 tensor to be: \[(?P<want>[\d, ]+)\] but got: "
          r"\[(?P<got>[\d, ]+)\]",
          "In a batched matrix product the second tensor must start with [{want}] (same batch size, and rows "
          "equal to the first's columns), but it starts with [{got}].",
          "Print both shapes; maybe one of them needs .transpose(1, 2)."),
    Entry("conv-channels", _RT,
          r"Given groups=\d+, weight of size \[(?P<weight>[\d, ]+)\], expected input\[(?P<input>[\d, ]+)\] "
          r"to have (?P<want>\d+) channels, but got (?P<got>\d+) channels instead",
          "The convolution expects {want} input channels in dimension 1, but the input it got, [{input}], has "
          "{got} there.",
          "{hint}", _conv_channels),
    Entry("conv-input-dims", _RT,
          r"Expected (?P<unbatched>\d)D \(unbatched\) or (?P<batched>\d)D \(batched\) input to (?P<op>\w+), "
          r"but got input of size: \[(?P<input>[\d, ]*)\]",
          "{op} takes a {unbatched}-D input (C, ...) or a {batched}-D batch (N, C, ...), but yours has {found}: "
          "[{input}].",
          "{hint}", _conv_dims),
    Entry("conv-kernel-too-big", _RT,
          r"Calculated padded input size per channel: \((?P<input>[\d x]+)\)\. Kernel size: \((?P<kernel>[\d x]+)\)"
          r"\. Kernel size can't be greater than actual input size",
          "The kernel ({kernel}) is bigger than the input it slides over ({input}, padding included).",
          "Use a smaller kernel or more padding, or check the input's size: earlier pooling or strided layers "
          "may have shrunk it."),
    Entry("broadcast", _RT,
          r"The size of tensor a \((?P<a>\d+)\) must match the size of tensor b \((?P<b>\d+)\) at non-singleton "
          r"dimension (?P<dim>\d+)",
          # PyTorch numbers `dim` in the broadcast result, i.e. in the longer shape; in the shorter
          # tensor the same dimension has a smaller index, which is what confuses learners.
          "Broadcasting lines the two shapes up from the right; at dimension {dim} (numbered in the longer "
          "shape, so it may be another index in the shorter tensor) tensor a has {a} and tensor b has {b}, "
          "and they must be equal or one of them 1.",
          "Print both shapes (in x + y, a is x); add a size-1 dimension where one is missing (y.unsqueeze(-1), "
          "y[:, None]) or transpose the one that is the wrong way round."),
    Entry("reshape-size", _RT,
          r"shape '\[(?P<shape>[-\d, ]*)\]' is invalid for input of size (?P<size>\d+)",
          "You asked for shape [{shape}]: {problem}.",
          "{hint}", _bad_shape),
    Entry("reshape-two-inferred", _RT,
          r"^only one dimension can be inferred",
          "Only one size in view/reshape may be -1 (the one PyTorch works out), but you used -1 more than once.",
          "Give all sizes but one, e.g. x.view(batch_size, -1)."),
    Entry("view-non-contiguous", _RT,
          r"view size is not compatible with input tensor's size and stride",
          "view() needs the tensor's elements in memory order, and this tensor's are not (as after .t(), "
          ".transpose() or .permute()).",
          "Use .reshape(...) instead, or .contiguous().view(...)."),
    Entry("stack-sizes", _RT,
          r"stack expects each tensor to be equal size, but got \[(?P<a>[\d, ]*)\] at entry (?P<i>\d+) and "
          r"\[(?P<b>[\d, ]*)\] at entry (?P<j>\d+)",
          "torch.stack needs tensors of one shape, but entry {i} is [{a}] and entry {j} is [{b}].",
          "Make them the same shape first (crop, pad or resize); from a DataLoader this means your dataset's "
          "items differ in size: resize them in the dataset or pass a collate_fn that pads."),
    Entry("cat-sizes", _RT,
          r"Sizes of tensors must match except in dimension (?P<dim>\d+)\. Expected size (?P<want>\d+) but got "
          r"size (?P<got>\d+) for tensor number (?P<n>\d+) in the list",
          "torch.cat joins along dimension {dim}, so every other dimension must agree, but the tensor at index "
          "{n} of the list has size {got} where {want} was expected.",
          "Print [t.shape for t in tensors]; maybe you meant to join along another dim."),
    Entry("cat-ndim", _RT,
          r"Tensors must have same number of dimensions: got (?P<a>\d+) and (?P<b>\d+)",
          "Tensors joined with torch.cat need the same number of dimensions, but got {a}-D and {b}-D ones.",
          "Add the missing dimension (t.unsqueeze(0)), or use torch.stack to make a new dimension."),
    Entry("index-out-of-bounds", ("IndexError", "RuntimeError"),
          r"index (?P<index>-?\d+) is out of bounds for dimension (?P<dim>\d+) with size (?P<size>\d+)",
          "Index {index} does not exist in dimension {dim}, which has size {size}: {valid}.",
          "Check the index against x.shape; indexing starts at 0, so the last one is size - 1.", _index),
    Entry("dim-out-of-range", ("IndexError",),
          r"Dimension out of range \(expected to be in range of \[(?P<lo>-?\d+), (?P<hi>-?\d+)\], but got "
          r"(?P<got>-?\d+)\)",
          "You asked for dimension {got}, but this tensor has too few dimensions: dim must be {lo} to {hi} here.",
          "Check x.ndim and x.shape (a 1-D tensor has only dim 0, or -1); add a dimension with unsqueeze if "
          "you need one."),
)
