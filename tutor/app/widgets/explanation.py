"""The explanation pane: the exercise's prompt (with hints taken so far and the solution once
revealed), then the lesson's text. One widget drawing cached lines (tutor/app/widgets/prose.py):
the prompt part is rendered at once, the lesson's text comes from the cache or from a thread, and
the next lessons are rendered ahead while the learner reads. The values of the lesson's ```python
show blocks arrive later (tutor/app/shows.py): the text shows first, then again with the pictures."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual import events
from textual.message import Message
from textual.strip import Strip

from tutor.app.widgets.lines import LinePane
from tutor.app.widgets.prose import Palette, ProseCache, exercise_head, lesson_body
from tutor.lessons.model import Exercise, Lesson

PREFETCH_DELAY = 1.5  # seconds after an exercise opens: render the exercises around it ahead


@dataclass(frozen=True)
class Shown:
    lesson: Lesson
    exercise: Exercise
    hints: tuple[str, ...] = ()
    solution: str | None = None


class Explanation(LinePane):
    BORDER_TITLE = "Exercise"
    MORE_KEYS = ("scroll_exercise_down", "scroll_exercise_up")

    @dataclass
    class BodyRendered(Message):
        """A lesson's text was rendered on a thread (the cache holds it now)."""

        key: tuple

    def __init__(self, cache: ProseCache | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.cache = cache or ProseCache()
        self.ahead: list[Shown] = []  # what ctrl+n and ctrl+o would show (set by the screen)
        self.shown: Shown | None = None
        self._head: list[Strip] = []
        self._body: list[Strip] = []
        self._body_key: tuple | None = None
        self._prefetch_timer = None
        self.shows: dict[str, dict[int, object]] = {}  # lesson id -> its show blocks' values

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda theme: self._lay_out())

    # -- what is shown ------------------------------------------------------------------------------
    def show(self, lesson: Lesson, exercise: Exercise, hints: list[str] | tuple[str, ...] = (),
             solution: str | None = None, scroll_home: bool = True) -> None:
        self.shown = Shown(lesson, exercise, tuple(hints), solution)
        self._lay_out()
        if scroll_home:
            self.scroll_to(0, 0, animate=False, immediate=True, force=True)
        if self._prefetch_timer is not None:
            self._prefetch_timer.stop()
        self._prefetch_timer = self.set_timer(PREFETCH_DELAY, self._prefetch)

    def on_resize(self, event: events.Resize) -> None:
        self._lay_out()

    def _lay_out(self) -> None:
        """Take the lines for the current width from the cache (rendering the prompt part now
        and the lesson's text on a thread when they are not there yet)."""
        width = self.content_width
        shown = self.shown
        if shown is None or width <= 0:
            return
        palette = self.palette()
        head_key = self._head_key(shown, width, palette)
        self._head = self.cache.render(
            head_key, lambda: exercise_head(shown.lesson, shown.exercise, shown.hints, shown.solution, palette,
                                            width), width, palette)
        body_key = self._body_key_for(shown.lesson, width, palette)
        self._body_key = body_key
        body = self.cache.get(body_key)
        self._body = body if body is not None else []
        if body is None:
            self.run_worker(partial(self._render_body, shown.lesson, body_key, width, palette), thread=True,
                            group="prose", exit_on_error=False)
        self._resize_virtual()

    def add_shown(self, lesson_id: str, values: dict[int, object]) -> None:
        """The lesson's show blocks ran: draw their values (now, if the lesson is on screen)."""
        self.shows[lesson_id] = values
        if self.shown is not None and self.shown.lesson.id == lesson_id and values:
            self._lay_out()

    def _body_key_for(self, lesson: Lesson, width: int, palette: Palette) -> tuple:
        return ("body", lesson.id, width, palette, bool(self.shows.get(lesson.id)))

    def _render_body(self, lesson: Lesson, key: tuple, width: int, palette: Palette) -> None:
        """On a thread."""
        shown = self.shows.get(lesson.id)
        self.cache.render(key, lambda: lesson_body(lesson, palette, shown), width, palette)
        self.post_message(self.BodyRendered(key))

    def on_explanation_body_rendered(self, message: BodyRendered) -> None:
        message.stop()
        if message.key == self._body_key:
            self._body = self.cache.get(message.key) or []
            self._resize_virtual()

    def _prefetch(self) -> None:
        """Render what ctrl+n and ctrl+o would show at this width (the prompt and, for another
        lesson, its text), one after the other on one thread, so those keys find it ready."""
        width = self.content_width
        if width <= 0:
            return
        palette = self.palette()
        self.run_worker(partial(self._render_ahead, list(self.ahead), width, palette), thread=True,
                        group="prose-ahead", exclusive=True, exit_on_error=False)

    def _render_ahead(self, ahead: list[Shown], width: int, palette: Palette) -> None:
        """On a thread."""
        for shown in ahead:
            self.cache.render(self._head_key(shown, width, palette),
                              partial(exercise_head, shown.lesson, shown.exercise, shown.hints, shown.solution,
                                      palette, width), width, palette)
            self.cache.render(self._body_key_for(shown.lesson, width, palette),
                              partial(lesson_body, shown.lesson, palette, self.shows.get(shown.lesson.id)), width, palette)

    @staticmethod
    def _head_key(shown: Shown, width: int, palette: Palette) -> tuple:
        return ("head", shown.exercise.full_id, shown.hints, shown.solution, width, palette)

    def _resize_virtual(self) -> None:
        self.set_lines([*self._head, *self._body])
