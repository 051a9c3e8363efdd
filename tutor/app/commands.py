"""The command palette (ctrl+p): go to an exercise by title, choose device, reset, theme, help."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tutor.app.actions import palette_actions

if TYPE_CHECKING:
    from tutor.app.app import TutorApp



class TutorCommands(Provider):
    @property
    def tutor(self) -> "TutorApp":
        return self.app  # type: ignore[return-value]

    def _exercise_commands(self):
        for exercise in self.tutor.catalog.exercises():
            yield (f"Go to: {exercise.title}", f"{exercise.full_id}",
                   partial(self.tutor.open_exercise, exercise.full_id))

    def _action_commands(self):
        for action in palette_actions():
            # The action method itself: run_action() would consult check_action while the palette
            # (a screen of its own) may still be on the stack.
            yield action.palette, action.help, getattr(self.tutor, f"action_{action.id}")

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
