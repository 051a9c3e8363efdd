"""The learner's editor: TextArea.code_editor with Python highlighting, a marked error line and
the indentation a code editor gives (Enter keeps or deepens it, Backspace and shift+Tab undo it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import events
from textual.reactive import reactive
from textual.widgets import TextArea
from textual.widgets.text_area import Edit, EditResult, Location, Selection

from tutor.app.widgets.indentation import (
    backspace_width, dedent_line, indent_line, leading_whitespace, next_line_indent,
)

# Underline as well as colour, so the mark survives NO_COLOR and 16-colour terminals.
ERROR_LINE_STYLE = Style(bgcolor="#5f0000", underline=True)
PLACEHOLDER_CELLS = 3  # `...`: the least of a selection that must be on screen when code opens


@dataclass
class _LinesEdit(Edit):
    """An edit of whole lines (Tab/shift+Tab on a selection) that leaves the same lines selected,
    after a redo too; Edit itself can only keep offsets or drop the selection to a cursor."""

    selection_after: Selection | None = None

    def do(self, text_area: TextArea, record_selection: bool = True) -> EditResult:
        result = super().do(text_area, record_selection)
        if self.selection_after is not None:
            self._updated_selection = self.selection_after
        return result


class CodeEditor(TextArea):
    """Create with `CodeEditor.code_editor(text, language="python")` (TextArea's own defaults)."""

    # Keys handled here rather than as BINDINGS: a binding would also fire from the binding chain
    # when the editor is read-only or Tab moves the focus, where these keys must do what they
    # do elsewhere in the app.
    INDENT_KEYS = {"enter": "newline", "tab": "indent", "shift+tab": "dedent"}

    error_line: reactive[int | None] = reactive(None)  # 1-based line the last error points at

    _document_language: str | None | object = object()  # what the document was built for (none yet)

    def _set_document(self, text: str, language: str | None) -> None:
        super()._set_document(text, language)
        self._document_language = language

    def _watch_language(self, language: str | None) -> None:
        # TextArea builds its document in __init__ and again when its `language` watcher first
        # runs, on mount: a second compile of tree-sitter's highlight query, ~35 ms of the app's
        # first screen. Build it again only for another language.
        if language != self._document_language:
            super()._watch_language(language)

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
        """Run the editor's own key bindings (backspace, delete, arrows, enter, tab...) at once.

        Textual runs widget bindings only once the key has bubbled up to the app, while printable
        keys are inserted right here: keys arriving in one burst (fast typing, a laggy SSH link,
        tmux send-keys) were applied out of order, so "backspace x" could delete the x.
        """
        action = self._action_for(event.key)
        if action is not None:
            event.stop()
            event.prevent_default()
            self._restart_blink()
            await self.run_action(action)
            return
        await super()._on_key(event)

    def _action_for(self, key: str) -> str | None:
        if self.read_only:
            return None
        if key in ("tab", "shift+tab") and self.tab_behavior != "indent":
            return None  # Tab moves the focus: the screen's bindings do that
        if key in self.INDENT_KEYS:
            return self.INDENT_KEYS[key]
        bindings = self._bindings.key_to_bindings.get(key)
        return bindings[0].action if bindings else None

    # -- opening code -------------------------------------------------------------------------------
    def set_code(self, code: str) -> None:
        """Replace the whole text as one undoable edit (ctrl+z brings the old text back)."""
        self.replace(code, (0, 0), self.document.end)

    def load_text(self, text: str) -> None:
        """Replace the text and start the undo history afresh, keeping the document: TextArea's own
        load_text builds a new one and compiles tree-sitter's highlight query again (40 ms of each
        exercise switch on a loaded machine)."""
        self.replace(text, (0, 0), self.document.end, maintain_selection_offset=False)
        self.history.clear()

    def open_code(self, code: str, selection: Selection | None = None) -> None:
        """Show new code (the undo history starts afresh) with `selection` (None: the cursor at
        line 1, column 1), scrolled to line 1, column 1 when the selection's start fits on the
        screen from there, otherwise just far enough to show it, a little way in from the edge."""
        self.load_text(code)
        self.selection = selection if selection is not None else Selection.cursor((0, 0))
        self.show_selection_start()
        # The first exercise opens before the layout has sized the editor: do it again once it has,
        # unless a key came first (then TextArea keeps the cursor in view, as it should).
        self.call_after_refresh(self._show_selection_start_if_unmoved, self.selection)

    def _show_selection_start_if_unmoved(self, opened: Selection) -> None:
        if self.selection == opened:
            self.show_selection_start()

    def show_selection_start(self) -> None:
        """Scroll to line 1, column 1, or as little further as shows the start of the selection."""
        view_width = self.scrollable_content_region.width - self.gutter_width - 1  # 1: the cursor
        view_height = self.scrollable_content_region.height
        if view_width <= 0 or view_height <= 0:
            return
        x, y = (0, 0)
        if not self.selection.is_empty:  # a bare cursor below the fold can wait for the first key
            x, y = self.wrapped_document.location_to_offset(min(self.selection))
        scroll_x = 0 if x + PLACEHOLDER_CELLS <= view_width else x - view_width // 3
        scroll_y = 0 if y < view_height else y - view_height // 3
        self.scroll_to(scroll_x, scroll_y, animate=False, immediate=True, force=True)

    # -- indentation --------------------------------------------------------------------------------
    @property
    def indent_unit(self) -> str:
        return "\t" if self.indent_type == "tabs" else " " * self.indent_width

    def action_newline(self) -> None:
        """Enter: a new line indented like this one, one level deeper after a `:`, one level
        shallower after return/pass/break/continue/raise. Whitespace around the split goes; on a
        blank line or inside the leading whitespace the text after the cursor keeps its column."""
        if self.read_only:
            return
        start, end = sorted(self.selection)
        before = self.document[start[0]][:start[1]]
        after = self.document[end[0]][end[1]:]
        after_space = len(leading_whitespace(after))
        if before.strip():
            keep = len(before.rstrip())
            indent = next_line_indent(before, self.indent_unit, self.indent_width)
        else:
            keep = 0
            indent = before + after[:after_space]
        # One edit, so one ctrl+z takes back the newline and its indentation together.
        self.replace("\n" + indent, (start[0], keep), (end[0], end[1] + after_space),
                     maintain_selection_offset=False)

    def action_delete_left(self) -> None:
        """Backspace: inside leading spaces, back to the previous indent level; else one character."""
        row, column = self.cursor_location
        if self.selection.is_empty and column > 0 and not self.read_only:
            width = backspace_width(self.document[row][:column], self.indent_width)
            if width > 1:
                self.delete((row, column - width), (row, column), maintain_selection_offset=False)
                return
        super().action_delete_left()

    def action_indent(self) -> None:
        """Tab: every line of a multi-line selection one level deeper; otherwise an indent at the
        cursor (TextArea's own Tab), replacing a selection within one line."""
        if self.read_only:
            return
        rows = self._selected_rows()
        if rows is not None:
            self._edit_lines(rows, lambda line: indent_line(line, self.indent_unit))
            return
        start, end = sorted(self.selection)
        if self.indent_type == "tabs":
            text = "\t"
        else:
            text = " " * (self.indent_width - self.get_column_width(*start) % self.indent_width)
        self.replace(text, start, end, maintain_selection_offset=False)

    def action_dedent(self) -> None:
        """shift+Tab: the selected lines (or the cursor's line) one level shallower."""
        if self.read_only:
            return
        rows = self._selected_rows() or range(self.cursor_location[0], self.cursor_location[0] + 1)
        self._edit_lines(rows, lambda line: dedent_line(line, self.indent_width))

    def _selected_rows(self) -> range | None:
        """The rows of a selection over several lines; a selection ending at column 0 of a line
        does not take that line in. None for a cursor or a selection within one line."""
        (top, _), (bottom, bottom_column) = sorted(self.selection)
        if top == bottom:
            return None
        return range(top, bottom if bottom_column == 0 else bottom + 1)

    def _edit_lines(self, rows: range, change: Callable[[str], str]) -> None:
        """Change each line in `rows` as one undoable edit; the selection follows its text."""
        old = [self.document[row] for row in rows]
        new = [change(line) for line in old]
        if new == old:
            return
        shifts = {row: len(after) - len(before) for row, before, after in zip(rows, old, new)}

        def follow(location: Location) -> Location:
            row, column = location
            if row not in shifts or (column == 0 and shifts[row] > 0):
                return location  # a selection of whole lines keeps starting at column 0
            return row, max(0, column + shifts[row])

        start, end = self.selection
        first, last = rows.start, rows.stop - 1
        edit = _LinesEdit("\n".join(new), (first, 0), (last, len(old[-1])), False,
                          selection_after=Selection(follow(start), follow(end)))
        self.edit(edit)
