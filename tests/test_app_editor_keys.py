"""The editor applies keys in the order they arrive, even in one burst (fast typing, laggy SSH)."""

from textual import events
from textual.app import App, ComposeResult
from textual.keys import _character_to_key

from tutor.app.widgets.code_editor import CodeEditor


class EditorOnly(App[None]):
    def compose(self) -> ComposeResult:
        yield CodeEditor.code_editor("version = torch.version", language="python", id="editor")

    def on_mount(self) -> None:
        editor = self.query_one(CodeEditor)
        editor.focus()
        editor.move_cursor((0, len("version = torch.version")))


def send_burst(app: App, keys: list[str]) -> None:
    """Hand every key to the app before it handles any (pilot.press waits between keys)."""
    for key in keys:
        char = key if len(key) == 1 else None
        event = events.Key(_character_to_key(key) if char and not key.isalnum() else key, char)
        event.set_sender(app)
        app._driver.send_message(event)


async def test_a_burst_of_backspaces_and_letters_stays_in_order():
    app = EditorOnly()
    async with app.run_test() as pilot:
        send_burst(app, ["backspace"] * 7 + list("__version__"))
        await pilot.pause()
        assert app.query_one(CodeEditor).text == "version = torch.__version__"


async def test_editing_keys_still_work_one_at_a_time():
    app = EditorOnly()
    async with app.run_test() as pilot:
        await pilot.press("home", "delete", "V", "end", "ctrl+w")
        await pilot.pause()
        assert app.query_one(CodeEditor).text == "Version = torch."
