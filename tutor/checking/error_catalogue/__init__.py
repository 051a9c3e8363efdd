"""The catalogue of common PyTorch errors: data, tried in order, first match wins.

Each entry names the exception types it explains, a regular expression for the message (its named
groups fill the templates) and two short templates: what went wrong, and what to try. Every entry
is tested against the message real torch code produces (tests/test_explain.py), so a PyTorch
release that rewords an error fails a test instead of silently losing the explanation.
"""

from tutor.checking.error_catalogue import autograd, dtypes, modules, shapes
from tutor.checking.error_catalogue.entry import Entry

# Specific entries come before the general ones they overlap with (e.g. "mat1 and mat2 must have the
# same dtype" before "mixed-dtypes"); within each module the order is already specific-first.
CATALOGUE: tuple[Entry, ...] = shapes.ENTRIES + dtypes.ENTRIES + autograd.ENTRIES + modules.ENTRIES

__all__ = ["CATALOGUE", "Entry"]
