"""Choose the device the worker runs on: what the probe found (cpu, cuda:N with name and memory, mps)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tutor.options import format_size


def device_prompt(device: dict, current: str) -> str:
    name = device.get("name", "?")
    mark = "●" if name == current else " "
    label = device.get("label") or ""
    memory = device.get("memory")
    detail = label + (f" · {format_size(memory)}" if memory else "")
    return f"{mark} {name:<8} {detail}".rstrip()


class DevicePicker(ModalScreen[str | None]):
    """Dismisses with the chosen device name, or None (Escape)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, current: str, info: dict | None) -> None:
        super().__init__()
        self.current = current
        self.info = info

    def compose(self) -> ComposeResult:
        with Vertical(id="device-box", classes="dialog"):
            yield Static("Run your code on", id="device-title")
            yield OptionList(id="device-list")
            yield Static("", id="device-note")

    def on_mount(self) -> None:
        self.show_devices(self.info)
        self.query_one(OptionList).focus()

    def show_devices(self, info: dict | None) -> None:
        """Fill the list (called again when the probe finishes)."""
        self.info = info
        options = self.query_one(OptionList)
        note = self.query_one("#device-note", Static)
        options.clear_options()
        if info is None:
            options.add_option(Option(f"● {self.current:<8} (current)", id=self.current))
            note.update("Looking for devices… Enter picks · Escape cancels")
            return
        devices = info.get("devices") or []
        if not devices:
            options.add_option(Option(f"● {self.current:<8} (current)", id=self.current))
        for device in devices:
            options.add_option(Option(device_prompt(device, self.current), id=device["name"]))
        problem = info.get("error")
        torch = info.get("torch")
        text = f"Could not look for devices: {problem}" if problem else f"torch {torch}" if torch else ""
        note.update(f"{text}\nEnter picks · Escape cancels · switching keeps your code".strip())
        names = [device["name"] for device in devices]
        if self.current in names:
            options.highlighted = names.index(self.current)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
