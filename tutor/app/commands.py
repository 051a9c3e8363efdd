"""The command palette (ctrl+p): go to an exercise by its title or id, or by what its text mentions
("zero_grad" finds the exercises whose prompt, hints or solution use it, listed below the title
matches), and the actions the table of actions offers there (device, reset, hint, solution, theme,
$EDITOR, help)."""

from __future__ import annotations

import re
from functools import lru_cache, partial
from typing import Iterator, Protocol

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tutor.app.actions import palette_actions
from tutor.lessons.catalog import Catalog
from tutor.lessons.model import Exercise

Command = tuple[str, str, object]  # text, help, what to call
TITLE_FLOOR = 0.5  # title and action matches score above this; matches in the text below it
TEXT_SCORE = 0.3
MIN_TEXT_QUERY = 3  # shorter queries match too much prose to mean anything
SNIPPET = 28  # characters either side of a match in the text


class Navigator(Protocol):
    """The screen the palette was opened from (the main screen)."""

    catalog: Catalog
    current: Exercise | None

    def open_exercise(self, exercise: Exercise) -> None: ...


@lru_cache(maxsize=1024)
def _flattened(*parts: str) -> str:
    return " ".join(" ".join(parts).split()).lower()


def searchable_text(exercise: Exercise) -> str:
    """What the palette searches besides the title: prompt, hints, solution, one line, lower case."""
    return _flattened(exercise.prompt, *exercise.hints, exercise.solution)


def text_match(exercise: Exercise, query: str) -> str | None:
    """A snippet around the first place the exercise's text mentions `query`, or None."""
    needle = " ".join(query.lower().split())
    if len(needle) < MIN_TEXT_QUERY:
        return None
    text = searchable_text(exercise)
    at = text.find(needle)
    if at < 0:
        return None
    start, end = max(0, at - SNIPPET), min(len(text), at + len(needle) + SNIPPET)
    snippet = re.sub(r"[`*]", "", text[start:end])
    return f"mentions it: {'…' if start else ''}{snippet}{'…' if end < len(text) else ''}"


class TutorCommands(Provider):
    def _action_commands(self) -> Iterator[Command]:
        for action in palette_actions():
            # Run once the palette has closed, on the screen (or the App) whose action it is.
            node = self.app if action.scope == "app" else self.screen
            yield action.palette or action.title, action.help, partial(node.run_action, action.id)

    def _exercises(self) -> list[Exercise]:
        screen: Navigator = self.screen  # type: ignore[assignment]
        return screen.catalog.exercises()

    def _go(self, exercise: Exercise):
        screen: Navigator = self.screen  # type: ignore[assignment]
        return partial(screen.open_exercise, exercise)

    async def discover(self) -> Hits:
        """Before anything is typed: the actions and the open lesson's exercises (typing searches
        them all; the lesson browser, F3, lists them all)."""
        for text, help_text, command in self._action_commands():
            yield DiscoveryHit(text, command, help=help_text)
        screen: Navigator = self.screen  # type: ignore[assignment]
        lesson = screen.current.lesson_id if screen.current is not None else None
        for exercise in self._exercises():
            if exercise.lesson_id == lesson:
                yield DiscoveryHit(f"Go to: {exercise.title}", self._go(exercise), help=exercise.full_id)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, help_text, command in self._action_commands():
            score = max(matcher.match(text), matcher.match(help_text) * 0.8)
            if score > 0:
                yield Hit(TITLE_FLOOR + score * (1 - TITLE_FLOOR), matcher.highlight(text), command, text=text,
                          help=help_text)
        for exercise in self._exercises():
            text = f"Go to: {exercise.title}"
            score = max(matcher.match(text), matcher.match(exercise.full_id) * 0.8)
            if score > 0:
                yield Hit(TITLE_FLOOR + score * (1 - TITLE_FLOOR), matcher.highlight(text), self._go(exercise),
                          text=text, help=exercise.full_id)
                continue
            mention = text_match(exercise, query)
            if mention is not None:
                yield Hit(TEXT_SCORE, text, self._go(exercise), text=text, help=f"{exercise.full_id} · {mention}")
