"""The Footer, fitted to 80 columns: on a narrow terminal the keys that matter least step aside
(F1 lists them all), so nothing is cut in half and the palette key stays readable."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer

from tutor.app.actions import wide_only

NARROW_WIDTH = 100


class TutorFooter(Footer):
    def _narrow(self) -> bool:
        return self.app.size.width < NARROW_WIDTH

    def compose(self) -> ComposeResult:
        hidden: set[str] = set()
        if self._narrow():
            hidden |= wide_only()
        for widget in super().compose():
            if getattr(widget, "action", None) not in hidden:
                yield widget

    def on_resize(self, event: events.Resize) -> None:
        narrow = self._narrow()
        if narrow != getattr(self, "_was_narrow", None):
            self._was_narrow = narrow
            self.call_after_refresh(self.recompose)
