"""The command palette (ctrl+p): go to an exercise by title, choose device, reset, theme, help."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from tutor.app.app import TutorApp

ACTIONS = [
    ("Choose device…", "device", "Run your code on cpu, cuda:N or mps"),
    ("Reset exercise to its starter", "reset_code", "Put the starter code back (asks first)"),
    ("Show a hint", "hint", "The next hint for this exercise"),
    ("Show the solution", "solution", "Asks first; it is recorded"),
    ("Toggle theme (dark / light)", "toggle_theme", "Switch between the dark and light theme"),
    ("Open in $EDITOR", "external_editor", "Edit this exercise in vim, nano, …"),
    ("Help", "help", "Keys, how checks work, where progress is stored"),
]


class TutorCommands(Provider):
    @property
    def tutor(self) -> "TutorApp":
        return self.app  # type: ignore[return-value]

    def _exercise_commands(self):
        for exercise in self.tutor.catalog.exercises():
            yield (f"Go to: {exercise.title}", f"{exercise.full_id}",
                   partial(self.tutor.open_exercise, exercise.full_id))

    def _action_commands(self):
        for text, action, help_text in ACTIONS:
            # The action method itself: run_action() would consult check_action while the palette
            # (a screen of its own) may still be on the stack.
            yield text, help_text, getattr(self.tutor, f"action_{action}")

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
