"""ptref-tutor: learn PyTorch by doing, in the terminal.

This package must stay importable with the standard library alone: the sandbox worker imports
`tutor.sandbox.worker` inside interpreters (a user's conda env) that may have torch but nothing else.
"""

__version__ = "0.1.0"
