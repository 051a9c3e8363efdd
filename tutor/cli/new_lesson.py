"""`ptref-tutor new LESSON_ID [--pack DIR]`: start a lesson file from one complete example exercise.

The example is written to pass `ptref-tutor lint` as it is, attacks included (docs/lesson-format.md,
"What lint proves"): its input is drawn per variant, so a typed-in answer fails; each of its steps is
checked, so a deleted line fails; the placeholder filled with None, 0 or zeros fails; three hints make
a ladder and none gives the whole solution. An author edits it from a working state.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from tutor.cli import EXIT_OK, UsageError
from tutor.cli.common import load_catalog

MAX_ID_LENGTH = 64
ORDER_STEP = 10
_ORDER = re.compile(r"^order\s*=\s*(\d+)", re.M)
_PREFIX = re.compile(r"^(\d+)-")

TEMPLATE = '''\
format = 1
id = "{lesson_id}"
title = "{title}"
order = {order}
summary = "One line for the lesson list: what the learner can do after this lesson."
explanation = """
Markdown shown before the exercises: the idea, then a small example. `ptref-tutor lint` runs every
```python block, so the examples in your prose cannot rot:

```python
import torch
x = torch.tensor([1.0, 2.0, 6.0])
assert torch.allclose(x - x.mean(), torch.tensor([-2.0, -1.0, 3.0]))
```
"""

# One complete exercise that passes `ptref-tutor lint {file_hint}` as it is: change it step by step,
# running lint after each change (docs/lesson-format.md has every field and check).
[[exercise]]
id = "center-and-scale"
title = "Center, then scale"
prompt = """
`x` is a 1-D float tensor. Make `centered`, `x` minus its mean, and then `scaled`, `centered`
divided by its largest absolute value, so that every element of `scaled` lies in [-1, 1].
"""
# Hidden code run before the learner's. `variant` is 0 for the example, 1, 2 ... for the other
# inputs the code is also checked on: an answer typed in from the example fails those.
setup = """
import torch
x = torch.tensor([1.0, 2.0, 6.0]) if variant == 0 else torch.randn(5)
"""
starter = """
centered = ...  # TODO
scaled = ...  # TODO
"""
solution = """
centered = x - x.mean()
scaled = centered / centered.abs().max()
"""
hints = [
    "Two steps: first subtract the mean, then divide by the largest distance from zero.",
    "`x.mean()` gives the mean; `.abs()` and `.max()` give the largest absolute value.",
    "`centered = x - x.mean()`, then divide `centered` by `centered.abs()...`",
]

# Every variable the prompt names is checked: a step no check reads would be a step lint can delete.
[[exercise.check]]
kind = "tensor"
name = "centered"
message = "`centered` is `x` minus the mean of `x`."

[[exercise.check]]
kind = "tensor"
name = "scaled"
message = "`scaled` is `centered` divided by the largest absolute value in `centered`."
'''


def add_parser(commands) -> argparse.ArgumentParser:
    new = commands.add_parser("new", help="for lesson authors: a new lesson file, with one example exercise "
                                          "that lint proves")
    new.add_argument("lesson_id", metavar="LESSON_ID", help="the lesson's id: a-z, 0-9 and '-', e.g. my-tensors")
    new.add_argument("--pack", type=Path, default=Path("."), metavar="DIR",
                     help="the pack (folder of lesson files) to write it in (default: this folder)")
    return new


def check_id(lesson_id: str) -> None:
    from tutor.lessons.loader import ID_PATTERN  # not at the top: every start builds this parser

    if not ID_PATTERN.match(lesson_id) or len(lesson_id) > MAX_ID_LENGTH or lesson_id.strip("-") != lesson_id:
        raise UsageError(f"'{lesson_id}' is not a lesson id: use a-z, 0-9 and '-' (not first or last), "
                         f"at most {MAX_ID_LENGTH} characters, e.g. my-tensors")


def next_order(pack: Path) -> int:
    """After the pack's last lesson: the largest `order` or file-name number, plus ten."""
    found = [0]
    for path in pack.glob("*.toml"):
        prefix = _PREFIX.match(path.name)
        if prefix:
            found.append(int(prefix.group(1)))
        try:
            order = _ORDER.search(path.read_text(encoding="utf-8", errors="replace")[:4096])
        except OSError:
            continue
        if order:
            found.append(int(order.group(1)))
    return (max(found) // ORDER_STEP + 1) * ORDER_STEP


def run_new(args: argparse.Namespace) -> int:
    lesson_id = args.lesson_id
    check_id(lesson_id)
    pack = args.pack.expanduser()
    if pack.exists() and not pack.is_dir():
        raise UsageError(f"--pack {pack} is a file: give the folder of lesson files")
    for other in load_catalog(args, show_errors=False).lessons:  # ids are unique across loaded packs
        if other.id == lesson_id:
            raise UsageError(f"lesson id '{lesson_id}' is taken by {other.source}: choose another")
    if pack.is_dir():
        for path in sorted(pack.glob("*.toml")):
            text = path.read_text(encoding="utf-8", errors="replace")
            if re.search(rf'^id\s*=\s*["\']{re.escape(lesson_id)}["\']', text, re.M):
                raise UsageError(f"lesson id '{lesson_id}' is taken by {path}: choose another")
    order = next_order(pack) if pack.is_dir() else ORDER_STEP
    target = pack / f"{order:02d}-{lesson_id}.toml"
    title = lesson_id.replace("-", " ").capitalize()
    text = TEMPLATE.format(lesson_id=lesson_id, title=title, order=order, file_hint=target.name)
    try:
        pack.mkdir(parents=True, exist_ok=True)
        with target.open("x", encoding="utf-8") as handle:  # "x": never overwrite, even in a race
            handle.write(text)
    except FileExistsError:
        raise UsageError(f"{target} exists already: nothing was written") from None
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None
    # print, not the console: commands to copy stay on one line each.
    print(f"Wrote {target}: lesson '{lesson_id}' with one example exercise.")
    print(f"Prove it:  ptref-tutor lint {target}")
    print(f"Try it:    ptref-tutor --lessons {pack} --exercise {lesson_id}/center-and-scale")
    return EXIT_OK
