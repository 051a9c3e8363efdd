"""The explanation pane: the exercise's prompt (with hints taken so far), then the lesson's text."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Markdown

from tutor.lessons.model import Exercise, Lesson


def exercise_markdown(lesson: Lesson, exercise: Exercise, hints: list[str] | tuple[str, ...] = (),
                      solution: str | None = None) -> str:
    """Prompt first (it is what the learner needs while typing), the lesson below it."""
    number = lesson.exercises.index(exercise) + 1
    parts = [f"## {exercise.title}", f"*Exercise {number} of {len(lesson.exercises)} · `{exercise.full_id}`*",
             exercise.prompt.strip()]
    for index, hint in enumerate(hints, start=1):
        parts.append(f"> **Hint {index}.** {hint.strip()}")
    if solution is not None:
        parts += ["**Solution** (revealed):", f"```python\n{solution.strip()}\n```"]
    parts += ["---", f"## {lesson.title}"]
    if lesson.summary:
        parts.append(f"*{lesson.summary.strip()}*")
    if lesson.explanation.strip():
        parts.append(_runnable_fences_as_python(lesson.explanation.strip()))
    return "\n\n".join(parts)


def _runnable_fences_as_python(text: str) -> str:
    # "```python no-run" is lesson-format syntax; the highlighter only knows "python".
    return text.replace("```python no-run", "```python")


class Explanation(VerticalScroll, can_focus=True):
    """Scrolls with the keyboard when focused (up/down, page up/down)."""

    BORDER_TITLE = "Exercise"

    def compose(self) -> ComposeResult:
        yield Markdown(id="explanation-text")

    def show(self, lesson: Lesson, exercise: Exercise, hints: list[str] | tuple[str, ...] = (),
             solution: str | None = None, scroll_home: bool = True):
        markdown = self.query_one(Markdown)
        if scroll_home:
            self.scroll_home(animate=False)
        return markdown.update(exercise_markdown(lesson, exercise, hints, solution))
