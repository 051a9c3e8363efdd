"""Autograd errors, and turning tensors into Python values (item, bool, float)."""

from __future__ import annotations

from tutor.checking.error_catalogue.entry import Entry

_RT = ("RuntimeError",)

# Attributes learners use on `.grad`; `'NoneType' object has no attribute 'sum'` is more often a
# function without `return`, which this entry must not blame on gradients.
_GRAD_ATTRIBUTES = "zero_|data|norm|clone|detach|detach_|abs|add_|sub_|mul_|copy_"


def _inplace(groups: dict[str, str]) -> dict[str, str]:
    made_by = f" (the output of {groups['op']})" if groups["op"] else ""
    changes = int(groups["version"]) - int(groups["expected"])
    times = "once" if changes == 1 else f"{changes} times"
    return {"made_by": made_by, "times": times}


def _none_operand(groups: dict[str, str]) -> dict[str, str] | None:
    if "NoneType" not in (groups["a"], groups["b"]):
        return None
    return {}


ENTRIES: tuple[Entry, ...] = (
    Entry("backward-non-scalar", _RT,
          r"grad can be implicitly created only for scalar outputs",
          "backward() without an argument must start from a single number (a loss), but this tensor has more "
          "than one element.",
          "Reduce it first, e.g. out.sum().backward() or out.mean().backward(), or pass a gradient: "
          "out.backward(torch.ones_like(out))."),
    Entry("grad-is-none", ("AttributeError",),
          rf"'NoneType' object has no attribute '(?P<attr>{_GRAD_ATTRIBUTES})'",
          "You used .{attr} on None; a common cause is a tensor's .grad, which stays None until a backward() "
          "reaches it (and is None again after optimizer.zero_grad()).",
          "Call loss.backward() before reading .grad, check the tensor requires grad and is a leaf (made by "
          "you, not computed), or guard with `if w.grad is not None:`."),
    Entry("none-operand", ("TypeError",),
          r"unsupported operand type\(s\) for (?P<op>\S+?): '(?P<a>[\w.]+)' and '(?P<b>[\w.]+)'",
          "One side of `{op}` is None ({a} {op} {b}); common causes are a .grad read before any backward(), "
          "or a function without `return`.",
          "Find which value on that line is None and make sure it is set first.", _none_operand),
    Entry("inplace-modified", _RT,
          r"one of the variables needed for gradient computation has been modified by an inplace operation: "
          r"\[(?P<kind>[\w.]+) \[(?P<shape>[\d, ]*)\]\](?:, which is output \d+ of (?P<op>[\w:]+),)? is at "
          r"version (?P<version>\d+); expected version (?P<expected>\d+) instead",
          "A tensor of shape [{shape}]{made_by} was saved to compute gradients and then changed in place "
          "({times}) before backward() ran.",
          "Replace the in-place change (x += ..., x[...] = ..., .add_(), ReLU(inplace=True)) with one that "
          "makes a new tensor (x = x + ...), or make it after backward().", _inplace),
    Entry("inplace-leaf", _RT,
          r"a leaf Variable that requires grad is being used in an in-place operation",
          "A tensor you made with requires_grad=True (a leaf, like a weight) was changed in place (as in "
          "w -= lr * w.grad, w += 1 or w[0] = 0) while autograd was recording.",
          "Update weights inside `with torch.no_grad():`, or make a new tensor (w = w + 1) if the change "
          "should be recorded."),
    Entry("backward-twice", _RT,
          r"Trying to backward through the graph a second time",
          "This backward() goes through part of a graph whose saved values an earlier backward() already "
          "freed.",
          "Compute the loss afresh each step (inside the loop), detach what you carry between steps "
          "(h = h.detach()), or pass retain_graph=True to the first backward() if you really need two."),
    Entry("backward-no-grad-fn", _RT,
          r"element (?P<index>\d+) of tensors does not require grad and does not have a grad_fn",
          "backward() was called on a tensor autograd did not record: nothing it was computed from requires "
          "grad, or it was computed under torch.no_grad() or from .detach(), .item() or .numpy() values.",
          "Give the parameters requires_grad=True (nn.Parameter and nn layers do), and compute the loss from "
          "them outside torch.no_grad()."),
    Entry("item-many-elements", _RT,
          r"a Tensor with (?P<count>\d+) elements cannot be converted to Scalar",
          ".item() gives a Python number only for a one-element tensor, and this one has {count} elements.",
          "Reduce first (t.sum().item(), t.mean().item()), pick one (t[0].item()), or use t.tolist() for all."),
    Entry("only-one-element", ("ValueError", "RuntimeError", "TypeError"),
          r"only one element tensors can be converted to Python scalars",
          "A tensor with more than one element was used where Python needs a single number: float(t), int(t), "
          "or torch.tensor() of a list of tensors do this.",
          "Join tensors with torch.stack(list_of_tensors); for a number, reduce first (t.sum()) or index one "
          "element."),
    Entry("bool-ambiguous", _RT,
          r"Boolean value of Tensor with more than one (?:value|element) is ambiguous",
          "`if`, `while`, `and`, `or` and `not` need one True/False, but this tensor holds several values.",
          "Say which you mean: (t > 0).all() or (t > 0).any(); use & and | instead of and / or element-wise."),
)
