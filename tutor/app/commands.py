"""The command palette (ctrl+p): go to an exercise by title, and the actions the table of actions
offers there (device, reset, hint, solution, theme, $EDITOR, help)."""

from __future__ import annotations

from functools import partial
from typing import Iterator, Protocol

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tutor.app.actions import palette_actions
from tutor.lessons.catalog import Catalog
from tutor.lessons.model import Exercise

Command = tuple[str, str, object]  # text, help, what to call


class Navigator(Protocol):
    """The screen the palette was opened from (the main screen)."""

    catalog: Catalog

    def open_exercise(self, exercise: Exercise) -> None: ...


class TutorCommands(Provider):
    def _exercise_commands(self) -> Iterator[Command]:
        screen: Navigator = self.screen  # type: ignore[assignment]
        for exercise in screen.catalog.exercises():
            yield f"Go to: {exercise.title}", exercise.full_id, partial(screen.open_exercise, exercise)

    def _action_commands(self) -> Iterator[Command]:
        for action in palette_actions():
            # Run once the palette has closed, on the screen (or the App) whose action it is.
            node = self.app if action.scope == "app" else self.screen
            yield action.palette or action.title, action.help, partial(node.run_action, action.id)

    async def discover(self) -> Hits:
        for text, help_text, command in [*self._action_commands(), *self._exercise_commands()]:
            yield DiscoveryHit(text, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, help_text, command in [*self._action_commands(), *self._exercise_commands()]:
            # Exercises match by title or by id; actions by their words.
            score = max(matcher.match(text), matcher.match(help_text) * 0.8)
            if score > 0:
                yield Hit(score, matcher.highlight(text), command, text=text, help=help_text)
