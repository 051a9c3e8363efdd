"""The header: the app's name, the open exercise, and what the worker on its device is doing. One
widget drawing one line (Textual's Header laid out three widgets again on each change of the
sub-title, several times per exercise switch)."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widget import Widget


class TutorHeader(Widget, can_focus=False):
    def __init__(self, icon: str = "▶", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.icon = icon
        self.where = ""  # e.g. "basics/make-range · cpu ready"

    def show(self, where: str) -> None:
        if where != self.where:
            self.where = where
            self.refresh()

    def render(self) -> Text:
        width = self.size.width
        icon = Text(f" {self.icon} ", style=Style(meta={"@click": "app.command_palette"}))
        title = f"{self.app.title} — {self.where}" if self.where else self.app.title
        if len(title) > width - 2 * icon.cell_len:
            title = self.where  # the name goes first: the exercise and the worker's state matter more
        text = Text(title, overflow="ellipsis", no_wrap=True)
        text.truncate(max(1, width - 2 * icon.cell_len), overflow="ellipsis")
        line = icon.copy()
        line.append(text.plain.center(max(0, width - 2 * icon.cell_len)))
        line.append(" " * icon.cell_len)
        line.no_wrap = True
        return line
