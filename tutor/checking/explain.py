"""PyTorch errors explained in a learner's words: what went wrong, and what to try.

Standard library only (it runs in the UI process, which never imports torch). The worker reports
an exception as its class name and message; `explain` finds the catalogue entry for it and fills
in the numbers from the message, or returns None when no entry fits.
"""

from __future__ import annotations

from dataclasses import dataclass

from tutor.checking.error_catalogue import CATALOGUE, Entry

# Messages come from the worker, i.e. from the learner's code: never scan more than this.
_SCAN_LIMIT = 4_000
# A captured group longer than this is not a number or a name PyTorch printed: clip it.
_FIELD_LIMIT = 80


@dataclass(frozen=True)
class Explanation:
    id: str  # the catalogue entry, e.g. "matmul-shapes"
    what: str  # one sentence: what went wrong
    fix: str  # one sentence: what to try

    @property
    def text(self) -> str:
        return f"{self.what} {self.fix}"

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "what": self.what, "fix": self.fix}


def explain(error_type: str, message: str) -> Explanation | None:
    """The explanation for an exception (its class name, e.g. "RuntimeError", and its message)."""
    if not isinstance(error_type, str) or not isinstance(message, str):
        return None
    name = error_type.rsplit(".", 1)[-1]  # "torch.OutOfMemoryError" and "OutOfMemoryError" alike
    text = message[:_SCAN_LIMIT]
    for entry in CATALOGUE:
        if name not in entry.types:
            continue
        found = entry.regex.search(text)
        if found is None:
            continue
        explanation = _fill(entry, found.groupdict(default=""))
        if explanation is not None:
            return explanation
    return None


def catalogue_ids() -> list[str]:
    return [entry.id for entry in CATALOGUE]


def _fill(entry: Entry, groups: dict[str, str]) -> Explanation | None:
    values = {key: _clip(value) for key, value in groups.items()}
    if entry.fields is not None:
        try:
            extra = entry.fields(values)
        except (ValueError, ArithmeticError, KeyError, IndexError):
            return None  # a message shaped unlike any PyTorch prints: no explanation beats a wrong one
        if extra is None:
            return None
        values |= extra
    try:
        return Explanation(entry.id, entry.what.format_map(values), entry.fix.format_map(values))
    except (KeyError, IndexError, ValueError):
        return None


def _clip(value: str) -> str:
    value = value.strip()
    return value if len(value) <= _FIELD_LIMIT else value[: _FIELD_LIMIT - 3] + "..."


__all__ = ["Explanation", "catalogue_ids", "explain"]
