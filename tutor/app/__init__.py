"""The Textual front end. Only this package imports Textual; nothing outside it imports this package
except the CLI's app launcher (tutor/cli/app_command.py), lazily.

Entry point: `run_tutor(catalog, store, config, start_at, notices)`.
"""

from tutor.app.launch import run_tutor

__all__ = ["run_tutor"]
