"""TutorApp: read, edit, run, see why, move on, and come back tomorrow where you left off.

The App owns what lives as long as the process: the session (the PyTorch workers), the progress
store, the catalog, the theme, and the main screen (tutor/app/main_screen.py), which does the rest.
"""

from __future__ import annotations

import gc
import importlib
import sys
import threading
from collections.abc import Sequence
from typing import Callable

from textual import events
from textual.app import App
from textual.screen import Screen

from tutor.app.actions import bindings
from tutor.app.collector import CHECK_EVERY, IdleCollector
from tutor.app.main_screen import MainScreen
from tutor.lessons.catalog import Catalog
from tutor.lessons.model import Exercise
from tutor.progress.store import ProgressStore
from tutor.session import Session, SessionConfig, probe_devices


# What the first verdict (numpy comes with it, ~150 ms of imports) and the first F1 need, and the
# first screen does not: loaded on a thread once the first screen is up, so neither that screen
# nor those keys wait for it.
AFTER_THE_FIRST_SCREEN = ("tutor.sandbox.record", "tutor.checking.judge", "tutor.checking.expected",
                          "tutor.render.verdict", "tutor.app.screens.help")


def import_after_the_first_screen() -> None:
    for name in AFTER_THE_FIRST_SCREEN:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - only a head start: the check that needs it imports it again and says why
            return


class TutorApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "ptref-tutor"
    CURSOR_BLINK = True  # tests turn it off: a blinking cursor makes screenshots random
    BINDINGS = bindings("app")  # quit; the main screen has the rest (tutor/app/actions.py)

    def __init__(self, catalog: Catalog, store: ProgressStore, config: SessionConfig = SessionConfig(),
                 start_at: Exercise | None = None, probe: Callable[[], dict] | None = None,
                 show_timings: bool = True, notices: Sequence[str] = (), author: bool = False) -> None:
        super().__init__()
        self.catalog = catalog
        self.store = store
        self.config = config
        self.session = Session(catalog, config, store=store, on_worker_state=self._worker_state_from_thread)
        self.collector = IdleCollector()
        self.main_screen = MainScreen(
            catalog, store, self.session, start_at=start_at, notices=tuple(notices),
            probe=probe or (lambda: probe_devices(config.python, config.threads)), show_timings=show_timings,
            cursor_blink=self.CURSOR_BLINK,
            worker_python=None if config.python == sys.executable else config.python, author=author)

    def on_mount(self) -> None:
        # A full garbage collection walks every object alive: with Textual, rich and the lessons
        # loaded that is ~100 ms, and it landed inside key presses (the slowest F2, F3 and ctrl+n
        # of the key bench were each one). Objects that live for the whole session are moved out
        # of the collector's sight once the first screen is up; what comes later (the neighbours
        # and pictures rendered ahead) the idle collector freezes after its collections.
        self.call_after_refresh(self._after_first_screen)

    def _after_first_screen(self) -> None:
        gc.freeze()
        gc.enable()  # `ptref-tutor` turned it off for the start (tutor/cli/__init__.py main)
        self.collector.start()
        self.set_interval(CHECK_EVERY, self.collector.tick)
        threading.Thread(target=import_after_the_first_screen, name="ptref-imports", daemon=True).start()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)):
            self.collector.input_seen()
        await super().on_event(event)

    def delay_update(self, delay: float = 0.05) -> None:
        """The command palette holds the screen for 50 ms after a choice, so that its closing and
        the command's effect show as one frame. Here the hold ends as soon as the command has run
        instead: the palette queues the command right after this call, and the end of the hold
        is queued after it (twice deferred). A jump from the palette shows ~50 ms sooner, still
        in one frame."""
        self._begin_batch()

        def end_batch() -> None:
            self._end_batch()
            if not self._batch_count:
                self.screen.refresh()

        self.call_later(self.call_later, end_batch)

    def get_default_screen(self) -> Screen:
        return self.main_screen

    def _worker_state_from_thread(self, device: str, state: str) -> None:
        """The session's listener, called on the worker pools' threads."""
        self.main_screen.devices.state_from_thread(device, state)

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    async def action_quit(self) -> None:
        self.main_screen.coach.leave()
        self.exit()

    def on_unmount(self) -> None:
        self.collector.stop()
        self.session.close()

    def close(self) -> None:
        """After the app has run: the workers stop, the $EDITOR scratch folder goes."""
        self.session.close()
        self.main_screen.coach.cleanup()
