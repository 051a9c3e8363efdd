"""The learner's editor: TextArea.code_editor with Python highlighting and a marked error line."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import events
from textual.reactive import reactive
from textual.widgets import TextArea

# Underline as well as colour, so the mark survives NO_COLOR and 16-colour terminals.
ERROR_LINE_STYLE = Style(bgcolor="#5f0000", underline=True)


class CodeEditor(TextArea):
    """Create with `CodeEditor.code_editor(text, language="python")` (TextArea's own defaults)."""

    error_line: reactive[int | None] = reactive(None)  # 1-based line the last error points at

    def get_line(self, line_index: int) -> Text:
        line = super().get_line(line_index)
        if self.error_line is not None and line_index == self.error_line - 1:
            line.stylize(ERROR_LINE_STYLE)
        return line

    def watch_error_line(self) -> None:
        # TextArea caches rendered lines by cursor, scroll and theme, not by our mark:
        # notify_style_update() drops that cache.
        self.notify_style_update()
        self.refresh()

    async def _on_key(self, event: events.Key) -> None:
        """Run the editor's own key bindings (backspace, delete, arrows, ctrl+k...) at once.

        Textual runs widget bindings only once the key has bubbled up to the app, while printable
        keys are inserted right here: keys arriving in one burst (fast typing, a laggy SSH link,
        tmux send-keys) were applied out of order, so "backspace x" could delete the x.
        """
        bindings = self._bindings.key_to_bindings.get(event.key)
        if bindings and not self.read_only:
            event.stop()
            event.prevent_default()
            self._restart_blink()
            await self.run_action(bindings[0].action)
            return
        await super()._on_key(event)

    def set_code(self, code: str) -> None:
        """Replace the whole text as one undoable edit (ctrl+z brings the old text back)."""
        self.replace(code, (0, 0), self.document.end)
