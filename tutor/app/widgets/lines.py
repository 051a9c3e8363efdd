"""A pane that draws lines rendered ahead of time (the exercise pane and the results pane): no
child widgets to lay out, so new text shows in one frame at its full height, and scrolling only
copies lines. Its border says "ctrl+↓ more" while there is more to read (widgets/more.py)."""

from __future__ import annotations

from textual import constants
from textual.color import Color
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tutor.app.widgets.more import more_note
from tutor.app.widgets.prose import Palette


class LinePane(ScrollView, can_focus=True):
    """Scrolls with the keyboard when focused (up/down, page up/down, home/end) and from anywhere
    with the screen's scroll keys, named by MORE_KEYS (the actions: down, up)."""

    MORE_KEYS: tuple[str, str] = ("", "")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._lines: list[Strip] = []

    @property
    def content_width(self) -> int:
        return self.scrollable_content_region.width

    @property
    def text(self) -> str:
        """What the pane shows, as plain text, one line per line drawn."""
        return "\n".join(strip.text.rstrip() for strip in self._lines)

    def palette(self) -> Palette:
        """The app theme's colours, for text rendered outside Textual."""
        variables = self.app.theme_variables
        dark = self.app.current_theme.dark
        background = Color.parse(variables.get("background", "#000000" if dark else "#ffffff"))

        def colour(name: str, fallback: str) -> str:
            try:  # muted colours come with an alpha: blend them onto the background
                return (background + Color.parse(variables.get(name, fallback))).hex6
            except Exception:  # noqa: BLE001 - a theme without this variable: the fallback
                return fallback

        # 16 colours: asked for (--color-system standard) or found on the terminal (a headless
        # test's console also says "standard", with no terminal to draw on).
        found = self.app.console.color_system in ("standard", "windows") and not self.app.is_headless
        few_colours = constants.COLOR_SYSTEM in ("standard", "windows") or found
        return Palette(dark=dark, accent=colour("accent", "#ffa62b"), code=colour("warning", "#ffa62b"),
                       muted=colour("foreground-muted", "#888888"),
                       colour_system="standard" if few_colours else "truecolor")

    def set_lines(self, lines: list[Strip]) -> None:
        self._lines = lines
        self.virtual_size = Size(self.content_width, len(lines))
        self.refresh()
        self._note_more()

    # -- "ctrl+↓ more" on the border ----------------------------------------------------------------
    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._note_more()

    def _note_more(self) -> None:
        down, up = self.MORE_KEYS
        note = more_note(self, down, up) if down else ""
        if note != self.border_subtitle:
            self.border_subtitle = note

    # -- drawing ------------------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.content_width
        style = self.rich_style
        if index >= len(self._lines):
            return Strip.blank(width, style)
        line = self._lines[index]
        if scroll_x == 0 and line.cell_length == width:
            return line.apply_style(style)  # the usual case: the strip caches its styled copy
        return line.crop_extend(scroll_x, scroll_x + width, style).apply_style(style)
