"""The editor's indentation through a real terminal: tmux send-keys hands it one burst of keys."""

from __future__ import annotations

import shlex
import shutil
import sys

import pytest

from tmuxtools import ROOT, Tmux

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None,
                                reason="tmux is not installed (make deps installs it)")

EDITOR_APP = """
import sys
from pathlib import Path
from textual.app import App
from tutor.app.widgets.code_editor import CodeEditor

class EditorOnly(App):
    BINDINGS = [("ctrl+q", "save_and_quit")]
    def compose(self):
        yield CodeEditor.code_editor("", language="python")
    def on_mount(self):
        self.query_one(CodeEditor).focus()
    def action_save_and_quit(self):
        Path(sys.argv[1]).write_text(self.query_one(CodeEditor).text)
        self.exit()

EditorOnly().run()
"""


def test_a_burst_from_send_keys_lands_indented(tmp_path):
    script, result = tmp_path / "editor_app.py", tmp_path / "typed.py"
    script.write_text(EDITOR_APP)
    terminal = Tmux("editor-burst")
    try:
        terminal.start(f"{shlex.quote(sys.executable)} {script} {result}",
                       {"PYTHONPATH": str(ROOT), "TERM": "screen-256color"})
        terminal.wait_for("1 ", timeout=60)  # the editor's first line number: it is listening
        # One send-keys: every key reaches the app in one write, as fast typing or a lagging link would.
        terminal.keys("for i in range(3):", "Enter", "print(i)", "Enter", "BSpace", "print('done')", "C-q")
        terminal.wait_for("EXITED 0", timeout=60)
    finally:
        terminal.close()
    assert result.read_text() == "for i in range(3):\n    print(i)\nprint('done')"
