"""F1: keys, how checks work, where progress is stored (bundled help.md, filled in at open: the key
table comes from the table of actions, the prose from the .md)."""

from __future__ import annotations

from importlib import resources

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static

from tutor.app.actions import key_table


def help_text(store_path: str, worker_python: str | None) -> str:
    """`worker_python`: the interpreter given with --python, or None for the tutor's own."""
    template = resources.files("tutor.app").joinpath("help.md").read_text(encoding="utf-8")
    worker = (f"The worker runs `{worker_python}`." if worker_python else
              "The worker runs the same Python as the tutor.")
    return template.replace("{keys}", key_table()).replace("{store_path}", store_path).replace("{worker}", worker)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "close", "Close help", show=False)]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box", classes="dialog"):
            with VerticalScroll(id="help-scroll", can_focus=True):
                yield Markdown(self.text)
            yield Static("Escape, F1 or q closes this · ↑↓ PgUp PgDn scroll", id="help-footer")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)
