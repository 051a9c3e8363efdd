"""In a browser tab the browser keeps ctrl+n, ctrl+t, ctrl+w and ctrl+q for itself: every action that
has one of those gets a key the page receives, shown first (footer, F1, the app's messages).
The real keys in a real browser: test_serve_browser.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import TESTS
from tutor.app.actions import ACTIONS, BROWSER_RESERVED, for_browser, in_browser


def test_the_terminal_table_is_untouched_outside_a_browser():
    assert not in_browser()
    assert {action.id: action.keys for action in ACTIONS}["next"] == ("ctrl+n",)


def test_every_action_a_browser_would_swallow_has_another_way():
    adapted = {action.id: action for action in for_browser(ACTIONS)}
    for action in adapted.values():
        if not action.keys or action.scope == "textual":
            continue
        if action.keys[0] in BROWSER_RESERVED:
            # No key the page receives: it must leave the footer and say what to do instead.
            assert action.footer == "never" and "close the tab" in action.help, action.id
    assert adapted["next"].keys == ("f10", "ctrl+n") and adapted["stop"].keys == ("f12", "ctrl+t")
    assert adapted["quit"].footer == "never"
    # $EDITOR needs a terminal to hand over: not offered in a tab (the app says so if pressed).
    assert adapted["external_editor"].footer == "never" and adapted["external_editor"].palette is None


def test_a_tab_of_serve_binds_and_names_the_browser_keys():
    """textual-serve starts the app with Textual's web driver; the table adapts when it is imported."""
    probe = ("import json; from tutor.app import actions as a; "
             "print(json.dumps({'next': a.first_key('next'), 'stop': a.first_key('stop'), "
             "'screen': [b.key for b in a.bindings('screen')], 'table': a.key_table()}))")
    env = dict(os.environ, TEXTUAL_DRIVER="textual.drivers.web_driver:WebDriver")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env,
                            cwd=TESTS.parent, timeout=60)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["next"] == "F10" and seen["stop"] == "F12"
    assert {"f10", "ctrl+n", "f12", "ctrl+t"} <= set(seen["screen"])  # the usual keys stay bound too
    assert "**F10** or **ctrl+n**" in seen["table"] and "belong to the browser" in seen["table"]
