"""The explanation pane: the exercise's prompt (with hints taken so far and the solution once
revealed), then the lesson's text. One widget drawing cached lines (tutor/app/widgets/prose.py):
the prompt part is rendered at once, the lesson's text comes from the cache or from a thread, and
the next lessons are rendered ahead while the learner reads."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual import events
from textual.color import Color
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tutor.app.widgets.more import more_note
from tutor.app.widgets.prose import Palette, ProseCache, exercise_head, lesson_body
from tutor.lessons.model import Exercise, Lesson

PREFETCH_DELAY = 1.5  # seconds after an exercise opens: render the exercises around it ahead


@dataclass(frozen=True)
class Shown:
    lesson: Lesson
    exercise: Exercise
    hints: tuple[str, ...] = ()
    solution: str | None = None


class Explanation(ScrollView, can_focus=True):
    """Scrolls with the keyboard when focused (up/down, page up/down, home/end) and from anywhere
    with the screen's scroll keys."""

    BORDER_TITLE = "Exercise"

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

    @property
    def text(self) -> str:
        """What the pane shows, as plain text (for tests and screen readers of logs)."""
        return "\n".join(strip.text.rstrip() for strip in [*self._head, *self._body])

    @property
    def content_width(self) -> int:
        return self.scrollable_content_region.width

    def palette(self) -> Palette:
        variables = self.app.theme_variables
        dark = self.app.current_theme.dark
        background = Color.parse(variables.get("background", "#000000" if dark else "#ffffff"))

        def colour(name: str, fallback: str) -> str:
            try:  # muted colours come with an alpha: blend them onto the background
                return (background + Color.parse(variables.get(name, fallback))).hex6
            except Exception:  # noqa: BLE001 - a theme without this variable: the fallback
                return fallback

        return Palette(dark=dark, accent=colour("accent", "#ffa62b"), code=colour("warning", "#ffa62b"),
                       muted=colour("foreground-muted", "#888888"))

    def on_resize(self, event: events.Resize) -> None:
        self._lay_out()
        self._note_more()

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
        body_key = ("body", shown.lesson.id, width, palette)
        self._body_key = body_key
        body = self.cache.get(body_key)
        self._body = body if body is not None else []
        if body is None:
            self.run_worker(partial(self._render_body, shown.lesson, body_key, width, palette), thread=True,
                            group="prose", exit_on_error=False)
        self._resize_virtual()

    def _render_body(self, lesson: Lesson, key: tuple, width: int, palette: Palette) -> None:
        """On a thread."""
        self.cache.render(key, lambda: lesson_body(lesson, palette), width, palette)
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
            self.cache.render(("body", shown.lesson.id, width, palette), partial(lesson_body, shown.lesson, palette),
                              width, palette)

    @staticmethod
    def _head_key(shown: Shown, width: int, palette: Palette) -> tuple:
        return ("head", shown.exercise.full_id, shown.hints, shown.solution, width, palette)

    def _resize_virtual(self) -> None:
        self.virtual_size = Size(self.content_width, len(self._head) + len(self._body))
        self.refresh()
        self._note_more()

    # -- "ctrl+⇧↓ more" on the border ---------------------------------------------------------------
    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._note_more()

    def _note_more(self) -> None:
        note = more_note(self, "scroll_exercise_down", "scroll_exercise_up")
        if note != self.border_subtitle:
            self.border_subtitle = note

    # -- drawing ------------------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.content_width
        style = self.rich_style
        if index < len(self._head):
            line = self._head[index]
        elif index - len(self._head) < len(self._body):
            line = self._body[index - len(self._head)]
        else:
            return Strip.blank(width, style)
        if scroll_x == 0 and line.cell_length == width:
            return line.apply_style(style)  # the usual case: the strip caches its styled copy
        return line.crop_extend(scroll_x, scroll_x + width, style).apply_style(style)
