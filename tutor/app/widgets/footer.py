"""The footer: the keys of the table of actions on one line, fitted to the terminal's width (on a
narrow terminal the keys that matter least step aside; F1 lists them all), the palette key at the
right. Each key can be clicked.

One widget drawing one line. Textual's Footer mounts a widget per key and rebuilds them whenever
the focus moves (its bindings may change with the focus; ours never do, they all live on the
screen): that made F3, Escape and Tab pay for a dozen widgets each time.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import events
from textual.color import Color
from textual.widget import Widget

from tutor.app.actions import ACTIONS, BY_ID, Action

NARROW_WIDTH = 100
PALETTE_LABEL = "palette"


def footer_key(key: str) -> str:
    """How the footer writes a key: F5, ^n, ^↓."""
    arrows = {"up": "↑", "down": "↓", "left": "←", "right": "→"}
    parts = key.split("+")
    name = arrows.get(parts[-1], parts[-1])
    if len(parts) == 1:
        return name.upper() if name[:1] == "f" and name[1:].isdigit() else name
    modifiers = "".join({"ctrl": "^", "shift": "⇧"}.get(part, part + "+") for part in parts[:-1])
    return modifiers + name


def shown_actions(narrow: bool) -> list[Action]:
    return [action for action in ACTIONS if action.footer == "always" or (action.footer == "wide" and not narrow)]


class TutorFooter(Widget, can_focus=False):
    DEFAULT_CLASSES = "footer"

    def on_resize(self, event: events.Resize) -> None:
        self.refresh()

    def _colours(self) -> tuple[Style, Style, Style]:
        variables = self.app.theme_variables

        def colour(name: str, fallback: str) -> str:
            try:
                return Color.parse(variables.get(name, fallback)).hex6
            except Exception:  # noqa: BLE001 - a theme without it: the fallback
                return fallback

        key = Style(bold=True, color=colour("footer-key-foreground", "#ffa62b"))
        label = Style(color=colour("footer-description-foreground", "#e0e0e0"))
        separator = Style(color=colour("foreground-darken-3", "#666666"))
        return key, label, separator

    def render(self) -> Text:
        width = self.size.width
        key_style, label_style, separator_style = self._colours()
        palette = BY_ID["command_palette"]
        right = Text()
        right.append("▏", style=separator_style)
        right.append(footer_key(palette.keys[0]), style=key_style + self._click("app.command_palette"))
        right.append(f" {PALETTE_LABEL}", style=label_style + self._click("app.command_palette"))
        room = width - right.cell_len - 1
        left = Text()
        for action in shown_actions(width < NARROW_WIDTH):
            piece = Text()
            click = self._click(f"{'app' if action.scope == 'app' else 'screen'}.{action.id}")
            piece.append(footer_key(action.keys[0]), style=key_style + click)
            piece.append(f" {action.title} ", style=label_style + click)
            if left.cell_len + piece.cell_len > room:
                break  # the least important keys go first; F1 lists them all
            left.append_text(piece)
        left.append(" " * max(0, width - left.cell_len - right.cell_len))
        left.append_text(right)
        left.no_wrap = True
        return left

    @staticmethod
    def _click(action: str) -> Style:
        return Style.from_meta({"@click": action})
