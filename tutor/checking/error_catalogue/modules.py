"""Errors around nn.Module, loss functions, optimizers and data loading."""

from __future__ import annotations

from tutor.checking.error_catalogue.entry import Entry
from tutor.checking.error_catalogue.fields import dtype_label, plural, sizes

_RT = ("RuntimeError",)

# Attributes only nn.Module.__init__ creates: missing on a module, they mean it never ran.
_MODULE_STATE = ("_parameters|_buffers|_modules|_non_persistent_buffers_set|_backward_hooks|_backward_pre_hooks|"
                 "_forward_hooks|_forward_hooks_with_kwargs|_forward_hooks_always_called|_forward_pre_hooks|"
                 "_forward_pre_hooks_with_kwargs|_state_dict_hooks|_state_dict_pre_hooks|"
                 "_load_state_dict_pre_hooks|_load_state_dict_post_hooks|_is_full_backward_hook")


def _class_name(groups: dict[str, str]) -> dict[str, str]:
    # "fit.<locals>.Net.forward()" -> "Net"
    return {"cls": groups["qualname"].rsplit(".", 1)[-1]}


def _assigned(groups: dict[str, str]) -> dict[str, str]:
    return {"thing": {"module": "a layer (module)", "parameters": "a parameter", "buffer": "a buffer"}[groups["what"]]}


def _forward_count(groups: dict[str, str]) -> dict[str, str]:
    # Python counts `self`: "takes 2 positional arguments but 3 were given" means 1 input, 2 passed.
    takes, given = int(groups["takes"]) - 1, int(groups["given"]) - 1
    most = f"at most {plural(takes, 'input')}" if groups["range"] else plural(takes, "input")
    return _class_name(groups) | {"takes_text": most, "given_text": plural(given, "input")}


def _target_bounds(groups: dict[str, str]) -> dict[str, str]:
    target = int(groups["target"])
    if target < 0:
        return {"problem": "class labels can't be negative",
                "hint": "Relabel classes as 0 to C-1 (use ignore_index=... on the loss for labels to skip)."}
    return {"problem": f"with C classes the labels must be 0 to C-1, so your output has fewer than {target + 1} "
                       "classes in dimension 1",
            "hint": f"Make the last layer output at least {target + 1} classes, or relabel the classes to start "
                    "at 0."}


def _target_size(groups: dict[str, str]) -> dict[str, str]:
    target, prediction = sizes(groups["target"]), sizes(groups["input"])
    if prediction == target + [1]:
        return {"hint": "Drop the prediction's last size-1 dimension (out.squeeze(-1)) or add one to the "
                        "target (y.unsqueeze(-1))."}
    return {"hint": "Reshape one to the other's shape."}


def _target_dtype(groups: dict[str, str]) -> dict[str, str]:
    return {"label": dtype_label(groups["dtype"])}


ENTRIES: tuple[Entry, ...] = (
    Entry("module-before-init", ("AttributeError",),
          r"cannot assign (?P<what>module|parameters|buffer) before Module\.__init__\(\) call",
          "You assigned {thing} to self before nn.Module had set itself up.",
          "Call super().__init__() as the first line of your __init__.", _assigned),
    Entry("module-init-not-run", ("AttributeError",),
          rf"'(?P<cls>[\w.]+)' object has no attribute '(?P<attr>{_MODULE_STATE})'",
          "{cls} has no {attr}, which nn.Module.__init__ creates: it never ran for this module.",
          "Call super().__init__() as the first line of {cls}.__init__."),
    Entry("forward-arg-count", ("TypeError",),
          r"(?P<qualname>[\w.<>]+)\.forward\(\) takes (?P<range>from \d+ to )?(?P<takes>\d+) positional arguments? "
          r"but (?P<given>\d+) (?:were|was) given",
          "You passed {given_text} when calling the {cls} module, but its forward() takes {takes_text} (Python's "
          "message counts self too).",
          "Pass what forward(self, ...) lists, e.g. model(x); for several tensors give forward more parameters "
          "or join them first (torch.cat).", _forward_count),
    Entry("forward-missing-arg", ("TypeError",),
          r"(?P<qualname>[\w.<>]+)\.forward\(\) missing (?P<count>\d+) required positional arguments?: (?P<names>.+)",
          "You called the {cls} module without {names}, which its forward() needs.",
          "Pass the inputs when you call the module: model(x), not model().", _class_name),
    Entry("forward-unexpected-keyword", ("TypeError",),
          r"(?P<qualname>[\w.<>]+)\.forward\(\) got an unexpected keyword argument '(?P<name>\w+)'",
          "{cls}.forward() has no parameter called `{name}`.",
          "Pass the input by position, model(x), or use the name forward() declares.", _class_name),
    Entry("ce-target-dtype", _RT,
          r"expected target dtype to be Long(?: or Byte)?, but got (?P<dtype>\w+)",
          "cross_entropy / nll_loss want class indices as integers (Long, int64) in the target, but yours is "
          "{label}.",
          "Use target.long(); for one-hot or probability targets use labels = target.argmax(dim=1), or pass "
          "float probabilities with the same shape as the input.", _target_dtype),
    Entry("ce-multi-target", _RT,
          r"0D or 1D target tensor expected, multi-target not supported",
          "The loss wants one class index per sample (a target of shape (N,)), but your target has more "
          "dimensions.",
          "For one-hot labels use target.argmax(dim=1); for shape (N, 1) use target.squeeze(1)."),
    Entry("ce-probability-target", _RT,
          r"Expected floating point type for target with class probabilities, got (?P<dtype>\w+)",
          "Your target has the input's shape, so cross_entropy reads it as class probabilities, which must be "
          "floats, but it is {label}.",
          "For class indices give a target of shape (N,) (target.argmax(dim=1) for one-hot); for probabilities "
          "use target.float().", _target_dtype),
    Entry("target-out-of-bounds", ("IndexError", "RuntimeError"),
          r"Target (?P<target>-?\d+) is out of bounds",
          "A target holds the class label {target}, but {problem}.",
          "{hint}", _target_bounds),
    Entry("loss-batch-size", ("ValueError",),
          r"Expected input batch_size \((?P<input>\d+)\) to match target batch_size \((?P<target>\d+)\)",
          "The loss got {input} predictions but {target} targets.",
          "Give one target per prediction row; check the shapes (an earlier view may have merged dimensions)."),
    Entry("loss-target-size", ("ValueError",),
          r"Using a target size \(torch\.Size\(\[(?P<target>[\d, ]*)\]\)\) that is different to the input size "
          r"\(torch\.Size\(\[(?P<input>[\d, ]*)\]\)\)",
          "The loss needs the target and the prediction in the same shape, but the target is [{target}] and the "
          "prediction [{input}].",
          "{hint}", _target_size),
    Entry("embedding-index", ("IndexError",),
          r"^index out of range in self",
          "An index looked up in a table (nn.Embedding, index_select) is negative or not smaller than the "
          "table's number of rows.",
          "Check indices.min() and indices.max(); an Embedding needs num_embeddings > the largest index "
          "(the vocabulary size)."),
    Entry("rnn-input-size", _RT,
          r"input\.size\(-1\) must be equal to input_size\. Expected (?P<want>\d+), got (?P<got>\d+)",
          "The recurrent layer expects {want} features in the last dimension of its input, but got {got}.",
          "Make input_size match x.shape[-1]; inputs are (seq, batch, features), or (batch, seq, features) "
          "with batch_first=True."),
    Entry("batchnorm-one-value", ("ValueError",),
          r"Expected more than 1 value per channel when training, got input size torch\.Size\(\[(?P<size>[\d, ]*)\]\)",
          "In training mode BatchNorm needs more than one value per channel to take a mean and variance, but "
          "got input of shape [{size}].",
          "Use a batch of 2 or more, or call model.eval() to use the running statistics."),
    Entry("optimizer-empty", ("ValueError",),
          r"optimizer got an empty parameter list",
          "The optimizer was given nothing to update: the parameters you passed are empty.",
          "Assign the layers to self in __init__ (a plain list hides them: use nn.ModuleList), and pass "
          "model.parameters() itself (a generator that was already used up is empty)."),
    Entry("optimizer-non-leaf", ("ValueError",),
          r"can't optimize a non-leaf Tensor",
          "The optimizer was given a tensor computed from others (not a leaf), which it can't update.",
          "Pass the parameters themselves; make a tensor on its device directly, e.g. "
          "torch.zeros(3, device=device, requires_grad=True), not with .to(device) afterwards."),
    Entry("optimizer-single-tensor", ("TypeError",),
          r"params argument given to the optimizer should be an iterable of Tensors or dicts, but got (?P<kind>[\w.]+)",
          "An optimizer takes a list (or other iterable) of tensors, but got a single {kind}.",
          "Wrap it in a list: torch.optim.SGD([w], lr=0.1), or pass model.parameters()."),
)
