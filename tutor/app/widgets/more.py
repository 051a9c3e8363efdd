"""A pane's border tells when it has more to show, and which key scrolls it from the editor:
"ctrl+↓ more" while text is hidden below, "ctrl+↑ back" once scrolled to the end."""

from __future__ import annotations

from textual.widget import Widget

from tutor.app.actions import BY_ID, key_label


def page_height(pane: Widget) -> int:
    """One page: the visible height less a line, so the last line read stays in view."""
    return max(1, pane.scrollable_content_region.height - 1)


def scroll_page(pane: Widget, direction: int) -> bool:
    """Scroll a page down (+1) or up (-1); False when already at that end."""
    target = min(max(0, round(pane.scroll_y) + direction * page_height(pane)), round(pane.max_scroll_y))
    if target == round(pane.scroll_y):
        return False
    pane.scroll_to(y=target, animate=False, immediate=True)
    return True


def more_note(pane: Widget, down: str, up: str) -> str:
    """The border note for a pane scrolled by the actions `down` and `up`."""
    if pane.max_scroll_y <= 0:
        return ""
    if round(pane.scroll_y) < round(pane.max_scroll_y):
        return f"{key_label(BY_ID[down].keys[0])} more"
    return f"end · {key_label(BY_ID[up].keys[0])} back"
