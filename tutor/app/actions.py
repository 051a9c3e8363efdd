"""Every action the learner can take, in one table: its keys, its title, its help line, and where it
shows (the footer, the command palette). The bindings, the footer, the palette and the help screen's
key table are all made from it, so a key or a wording is changed here and nowhere else.

Keys: only F-keys and ctrl combinations the editor leaves alone (TextArea owns F6, F7, ctrl+a/e/k/u/
w/z/y, ctrl+c/x/v/d, ctrl+left/right and, through ScrollableContainer, ctrl+pageup/pagedown), never a
bare Escape (SSH splits it), so they all work while typing and over SSH; ctrl+b is tmux's prefix, so
it is not used either. The scroll keys (ctrl+up/down, ctrl+shift+up/down) let the learner read the
results and the lesson without leaving the editor.

Order is importance order: the footer shows them in this order, and at 80 columns the last ones are
cut off (F1 lists them all).

In a browser tab (`ptref-tutor serve`) the browser keeps some keys for itself (BROWSER_RESERVED):
an action that has one gets its `browser_key` first, so the footer, F1 and the app's messages name a
key that reaches the app there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Literal

from textual.binding import Binding

Scope = Literal["screen", "app", "textual"]
FooterPlace = Literal["always", "wide", "never"]


@dataclass(frozen=True)
class Action:
    id: str  # the action's name: action_<id> on the main screen (scope "screen") or the App ("app")
    keys: tuple[str, ...]  # the first one is the one the footer shows
    title: str  # the footer's word
    help: str  # one line: the help screen, the palette and the key's tooltip
    footer: FooterPlace = "always"  # "wide": only when the terminal has room (>= 100 columns)
    palette: str | None = None  # its wording in the command palette; None: not offered there
    scope: Scope = "screen"  # "textual": Textual binds the key itself; listed for the help screen
    browser_key: str | None = None  # in a browser tab, bound too and shown first (a key it lets through)


ACTIONS: tuple[Action, ...] = (
    Action("help", ("f1",), "Help", "Keys, how checks work, where progress is stored", palette="Help"),
    Action("run", ("f5", "ctrl+r"), "Run", "Run & check your code"),
    # Not in the footer: the running message says "ctrl+t stops it", and toggling a footer key per
    # run recomposes the footer while the run's thread waits for the GIL (it tripled the round trip).
    Action("stop", ("ctrl+t",), "Stop", "Stop the run in progress", footer="never", browser_key="f12"),
    Action("hint", ("f2",), "Hint", "Show the next hint (each one is counted)", palette="Show a hint"),
    Action("next", ("ctrl+n",), "Next", "Next exercise", browser_key="f10"),
    Action("previous", ("ctrl+o",), "Prev", "Previous exercise"),
    Action("solution", ("f8",), "Solution", "Show the solution (asks first; it is recorded)",
           palette="Show the solution"),
    Action("reset_code", ("f9",), "Reset", "Reset your code to the starter (asks first; ctrl+z undoes it)",
           palette="Reset exercise to its starter"),
    Action("device", ("f4",), "Device", "Choose the device: cpu, cuda:N, mps", footer="wide",
           palette="Choose device…"),
    Action("toggle_lessons", ("f3",), "Lessons", "Show or hide the lesson browser (Enter opens an exercise)",
           footer="wide"),
    Action("external_editor", ("ctrl+g",), "$EDITOR",
           "Edit in your $EDITOR (vim, nano, …); the code is checked when you return", footer="wide",
           palette="Open in $EDITOR"),
    # Not in the footer (no room at 80 columns): each pane says "ctrl+↓ more" on its border when
    # it has more to show.
    Action("scroll_results_down", ("ctrl+down",), "Results ↓",
           "Scroll the results down a page (from the editor too)", footer="never"),
    Action("scroll_results_up", ("ctrl+up",), "Results ↑", "Scroll the results up a page", footer="never"),
    Action("scroll_exercise_down", ("ctrl+shift+down",), "Exercise ↓",
           "Scroll the exercise and lesson text down a page (from the editor too)", footer="never"),
    Action("scroll_exercise_up", ("ctrl+shift+up",), "Exercise ↑", "Scroll the exercise and lesson text up a page",
           footer="never"),
    Action("save", ("ctrl+s",), "Save", "Save your code now (it is also saved as you type)", footer="never"),
    Action("quit", ("ctrl+q",), "Quit", "Quit (your code is saved)", footer="wide", scope="app"),
    Action("toggle_theme", (), "Theme", "Switch between the dark and light theme", footer="never",
           palette="Toggle theme (dark / light)", scope="app"),
    Action("command_palette", ("ctrl+p",), "Palette",
           "Command palette: go to an exercise by name, choose device, reset, theme", footer="never",
           scope="textual"),
    Action("focus_next", ("tab",), "Next pane",
           "Move to the next pane: lessons, exercise, editor, results (in the editor, Tab indents: "
           "Escape leaves it)", footer="never", scope="textual"),
    Action("focus_previous", ("shift+tab",), "Previous pane",
           "Move to the previous pane (in the editor, shift+Tab dedents: press Escape to leave it)", footer="never",
           scope="textual"),
)

# Keys a browser acts on before the page sees them: new window, new tab, close tab, quit (Firefox).
BROWSER_RESERVED = frozenset({"ctrl+n", "ctrl+t", "ctrl+w", "ctrl+q"})


def in_browser() -> bool:
    """True in a tab of `ptref-tutor serve`: textual-serve runs the app with Textual's web driver."""
    return "web_driver" in os.environ.get("TEXTUAL_DRIVER", "")


# Actions that hand the terminal to another program: a browser tab has no terminal to hand over.
TERMINAL_ONLY = frozenset({"external_editor"})


def for_browser(actions: tuple[Action, ...]) -> tuple[Action, ...]:
    """The table as a browser tab needs it: browser keys first; an action left with no key the
    browser lets through (quit) leaves the footer and says what to do instead, and so does one
    that needs a terminal."""
    adapted = []
    for action in actions:
        if action.browser_key:
            action = replace(action, keys=(action.browser_key, *action.keys))
        elif action.keys and set(action.keys) <= BROWSER_RESERVED:
            action = replace(action, footer="never",
                             help=f"{action.help}; in a browser, close the tab (or the palette's \"Quit\")")
        if action.id in TERMINAL_ONLY:
            action = replace(action, footer="never", palette=None,
                             help=f"{action.help} (in a terminal only, not in a browser tab)")
        adapted.append(action)
    return tuple(adapted)


if in_browser():
    ACTIONS = for_browser(ACTIONS)

BY_ID: dict[str, Action] = {action.id: action for action in ACTIONS}


def is_function_key(key: str) -> bool:
    return key[:1] == "f" and key[1:].isdigit()


ARROWS = {"up": "↑", "down": "↓", "left": "←", "right": "→"}


def key_label(key: str) -> str:
    """How the help and the app's own messages write a key: F5, ctrl+n, Tab, shift+Tab, ctrl+↓."""
    if is_function_key(key):
        return key.upper()
    return "+".join(part.capitalize() if part == "tab" else ARROWS.get(part, part) for part in key.split("+"))


def first_key(action_id: str) -> str:
    """The key the app names in its messages ("F5 runs it again", "(ctrl+n)")."""
    return key_label(BY_ID[action_id].keys[0])


def bindings(scope: Scope) -> list[Binding]:
    """Textual bindings for the actions of one scope; the first key of each shows in the footer."""
    made = []
    for action in ACTIONS:
        if action.scope != scope:
            continue
        for index, key in enumerate(action.keys):
            made.append(Binding(key, action.id, action.title, show=index == 0 and action.footer != "never",
                                # F-keys read "F5" in the footer; ctrl keys keep Textual's "^n".
                                key_display=key_label(key) if is_function_key(key) else None,
                                tooltip=action.help, id=action.id if index == 0 else f"{action.id}-{index + 1}"))
    return made


def wide_only() -> set[str]:
    """The footer's keys that step aside on a narrow terminal."""
    return {action.id for action in ACTIONS if action.footer == "wide"}


def palette_actions() -> list[Action]:
    return [action for action in ACTIONS if action.palette is not None]


def key_table() -> str:
    """The help screen's key table (Markdown), one row per action that has keys."""
    rows = ["| Key | What it does |", "|---|---|"]
    for action in ACTIONS:
        if action.keys:
            keys = " or ".join(f"**{key_label(key)}**" for key in action.keys)
            rows.append(f"| {keys} | {action.help} |")
    table = "\n".join(rows)
    if in_browser():
        table += ("\n\nIn this browser tab, ctrl+n, ctrl+t, ctrl+w and ctrl+q belong to the browser: use the "
                  "keys above, and ctrl+backspace to delete a word.")
    return table
