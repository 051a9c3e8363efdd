"""One catalogue entry: which exceptions it explains, and the words it explains them with."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

# Computes more template fields from the message's groups; None means "this entry does not apply
# after all" (e.g. a TypeError about operands only interests us when one operand is None).
Fields = Callable[[dict[str, str]], dict[str, str] | None]


@dataclass(frozen=True)
class Entry:
    id: str
    types: tuple[str, ...]  # exception class names, as the worker reports them
    pattern: str  # searched in the message; named groups become template fields
    what: str  # what went wrong, in a learner's words (str.format template)
    fix: str  # what to try (str.format template)
    fields: Fields | None = None
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", re.compile(self.pattern))
