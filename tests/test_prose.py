"""A lesson's prose as a notebook: blocks run in order, and a ```python show block's last expression
comes back to be drawn in place; lint says when it cannot be."""

from __future__ import annotations

import pytest

from tutor.lessons import Catalog
from tutor.prose import run_prose
from tutor.sandbox.values import TensorValue
from tutor.session import Session, SessionConfig

from conftest import FAULTS

PROSE = """
Some words.

```python
import torch
grid = torch.zeros(8, 8)
```

More words, then a picture:

```python show
grid[2:6, 2:6] = 1.0
grid
```

```python show
[(grid, "a square"), (1 - grid, "its negative")]
```
"""


@pytest.fixture(scope="module")
def session():
    with Session(Catalog.load([FAULTS]), SessionConfig(spare=False)) as session:
        yield session


def test_show_blocks_come_back_as_values_after_the_blocks_before_them_ran(session):
    run = run_prose(session, PROSE)
    assert run.ok, run.problems
    first, second = (run.shown[line] for line in sorted(run.shown))
    assert isinstance(first, TensorValue) and first.shape == (8, 8) and first.array.sum() == 16
    assert [label for _, label in second] == ["a square", "its negative"]


@pytest.mark.parametrize("block, problem", [
    ("```python show\nx = 1\n```\n", "must end with an expression"),
    ("```python show\n'just a string'\n```\n", "cannot be drawn"),
])
def test_a_show_block_that_cannot_show_anything_is_a_problem(session, block, problem):
    run = run_prose(session, block)
    assert not run.ok and any(problem in text for text in run.problems)


def test_an_error_names_the_block_and_its_line(session):
    run = run_prose(session, "```python\nx = 1\n```\n\n```python\ny = 2\nraise ValueError('no')\n```\n")
    block, line = run.failing_block()
    assert block.line == 5 and line == 2
