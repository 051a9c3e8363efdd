"""The exercise pane's text as lines ready to draw: rendered once per width and colour scheme,
then cached, so opening an exercise, toggling the lesson browser or scrolling costs a list lookup.

Textual's Markdown widget mounts a widget per block (hundreds for a lesson): every exercise
switch rebuilt them and every restyle of the screen walked them (F3 took 0.4-1 s, ctrl+n 0.2 s on
a loaded 2-core machine). Here rich renders the Markdown into lines; the pane draws them.

Rendering is plain rich work on a Console of its own, so it can run on a thread; code blocks and
the revealed solution wrap instead of being cut at the pane's edge.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

from rich.console import Console, Group, RenderableType
from rich.markdown import Heading, Markdown
from rich.padding import Padding
from rich.panel import Panel
from rich.style import Style
from rich.syntax import Syntax
from rich.text import Text
from rich.theme import Theme
from textual.strip import Strip

from tutor.lessons.model import Exercise, Lesson

CACHE_SIZE = 96  # rendered pieces (a lesson's text at one width is one)


@dataclass(frozen=True)
class Palette:
    """The colours the text is drawn in, taken from the app's theme."""

    dark: bool
    accent: str
    code: str
    muted: str
    colour_system: str = "truecolor"  # "standard" on a 16-colour terminal: pictures are drawn as characters

    def rich_theme(self) -> Theme:
        return Theme({
            "markdown.h1": Style.parse(f"bold {self.accent}"),
            "markdown.h2": Style.parse(f"bold underline {self.accent}"),
            "markdown.h3": Style.parse(f"bold {self.accent}"),
            "markdown.code": Style.parse(f"bold {self.code}"),
            "markdown.block_quote": Style.parse(self.muted),
            "markdown.link": Style.parse(f"underline {self.accent}"),
            "markdown.hr": Style.parse(self.muted),
            "markdown.item.bullet": Style.parse(f"bold {self.accent}"),
            "markdown.item.number": Style.parse(self.accent),
        }, inherit=True)

    @property
    def code_theme(self) -> str:
        return "monokai" if self.dark else "default"


class _LeftHeading(Heading):
    """Headings read from the left edge, as the rest of the pane does (rich centres h1)."""

    LEVEL_ALIGN = {tag: "left" for tag in ("h1", "h2", "h3", "h4", "h5", "h6")}


class PaneMarkdown(Markdown):
    elements = {**Markdown.elements, "heading_open": _LeftHeading}


def markdown(text: str, palette: Palette) -> Markdown:
    # "```python no-run" is lesson-format syntax; the lexer is the first word either way.
    return PaneMarkdown(text, code_theme=palette.code_theme, inline_code_lexer=None)


def exercise_id_lines(label: str, full_id: str, width: int) -> Text:
    """'Exercise 5 of 8 · lesson/exercise' on one line when it fits; otherwise the id on a line of
    its own, broken after the '/' when it is still too long (never inside a word)."""
    whole = f"{label} · {full_id}"
    text = Text(style="italic")
    if len(whole) <= width:
        text.append(f"{label} · ")
        text.append(full_id, style="markdown.code")
        return text
    text.append(f"{label}\n")
    lesson, _, exercise = full_id.partition("/")
    if len(full_id) <= width or not exercise:
        text.append(full_id, style="markdown.code")
    else:
        text.append(f"{lesson}/\n{exercise}", style="markdown.code")
    return text


def exercise_head(lesson: Lesson, exercise: Exercise, hints: tuple[str, ...], solution: str | None,
                  palette: Palette, width: int) -> RenderableType:
    """The part the learner needs while typing: title, which exercise, the prompt, hints taken,
    the solution once revealed."""
    number = lesson.exercises.index(exercise) + 1
    parts: list[RenderableType] = [
        Text(exercise.title, style="markdown.h1"),
        Text(""),
        exercise_id_lines(f"Exercise {number} of {len(lesson.exercises)}", exercise.full_id, width),
        Text(""),
        markdown(exercise.prompt.strip(), palette),
    ]
    for index, hint in enumerate(hints, start=1):
        parts += [Text(""), Panel(markdown(hint.strip(), palette), title=f"Hint {index} of {len(exercise.hints)}",
                                  title_align="left", border_style=palette.accent, padding=(0, 1))]
    if solution is not None:
        parts += [Text(""), Text("Solution (revealed):", style="bold"),
                  Syntax(solution.strip(), "python", theme=palette.code_theme, word_wrap=True, padding=1)]
    parts += [Text(""), Text("─" * width, style="markdown.hr")]
    return Group(*parts)


def lesson_body(lesson: Lesson, palette: Palette, shown: dict[int, object] | None = None) -> RenderableType:
    """The lesson's title, summary and text; `shown`: the values of its ```python show blocks by
    their fence line (tutor/prose.py), each drawn under its block."""
    parts: list[RenderableType] = [Padding(Text(lesson.title, style="markdown.h2"), (1, 0, 0, 0))]
    if lesson.summary:
        parts += [Text(""), Text(lesson.summary.strip(), style="italic")]
    if lesson.explanation.strip():
        parts.append(Text(""))
        parts += explanation_parts(lesson.explanation, palette, shown or {})
    return Group(*parts)


def explanation_parts(text: str, palette: Palette, shown: dict[int, object]) -> list[RenderableType]:
    """The explanation's Markdown cut after each shown block's closing fence, its drawing there."""
    from tutor.app.widgets.shows import drawing  # numpy and the pictures: only when there is one

    lines = text.splitlines()
    parts: list[RenderableType] = []
    start = 0
    for fence_line in sorted(shown):
        opening = fence_line - 1
        if not start <= opening < len(lines):
            continue
        fence = lines[opening].strip()[:3]
        end = next((index for index in range(opening + 1, len(lines)) if lines[index].strip().startswith(fence)),
                   len(lines) - 1)
        chunk = "\n".join(lines[start:end + 1]).strip()
        if chunk:
            parts.append(markdown(chunk, palette))
        parts += [drawing(shown[fence_line]), Text("")]
        start = end + 1
    rest = "\n".join(lines[start:]).strip()
    if rest:
        parts.append(markdown(rest, palette))
    return parts


class ProseCache:
    """Rendered lines by (what, width, palette); thread-safe, least recently used first out."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._lines: OrderedDict[tuple, list[Strip]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple) -> list[Strip] | None:
        with self._lock:
            lines = self._lines.get(key)
            if lines is not None:
                self._lines.move_to_end(key)
            return lines

    def clear(self) -> None:
        """Forget every rendering (a lesson file changed on disk: --author)."""
        with self._lock:
            self._lines.clear()

    def render(self, key: tuple, make: Callable[[], RenderableType], width: int, palette: Palette) -> list[Strip]:
        """The cached lines, or render them now (any thread) and keep them."""
        lines = self.get(key)
        if lines is not None:
            return lines
        lines = render_lines(make(), width, palette)
        with self._lock:
            self._lines[key] = lines
            while len(self._lines) > self._size:
                self._lines.popitem(last=False)
        return lines


def line_console(width: int, palette: Palette) -> Console:
    """The console the panes render with. Colours are left to Textual, which downgrades them to the
    terminal's (256 colours too), except on a 16-colour terminal, where pictures read better as
    characters (tutor/render/pixels.py decides from the console); pictures read NO_COLOR from the
    environment themselves."""
    return Console(width=width, color_system=palette.colour_system, force_terminal=True, theme=palette.rich_theme(),
                   legacy_windows=False, no_color=False, highlight=False)


def render_lines(renderable: RenderableType, width: int, palette: Palette) -> list[Strip]:
    # A console per call: rich consoles keep state while rendering, and this may run on a thread.
    console = line_console(width, palette)
    options = console.options.update_width(width)
    return [Strip(line, width) for line in console.render_lines(renderable, options, pad=True)]
