"""A lesson's ```python show blocks, run in the background once per lesson (tutor/prose.py runs the
prose's blocks as a notebook on the session's worker) and reported by message, so the exercise pane
draws their values in place. The thread never touches widgets; a block that fails draws nothing
(lint proves these blocks, and the lesson's text stays as it is)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual.dom import DOMNode
from textual.message import Message

from tutor.lessons.fences import python_blocks
from tutor.lessons.model import Lesson
from tutor.prose import run_prose
from tutor.session import Session


def has_show_blocks(lesson: Lesson) -> bool:
    return any(block.show for block in python_blocks(lesson.explanation))


class ShowRunner:
    @dataclass
    class Drawn(Message):
        """A lesson's show blocks ran: their values by fence line (empty when they failed)."""

        lesson_id: str
        values: dict

    def __init__(self, host: DOMNode, session: Session) -> None:
        self.host = host
        self.session = session
        self._asked: set[str] = set()  # lessons run or running: once per lesson

    def start(self, lesson: Lesson) -> None:
        if lesson.id in self._asked or not has_show_blocks(lesson):
            return
        self._asked.add(lesson.id)
        self.host.run_worker(partial(self._run, lesson), thread=True, group="shows", exit_on_error=False)

    def forget(self, lesson_id: str) -> None:
        """The lesson's file changed (--author): run its show blocks again when it is next open."""
        self._asked.discard(lesson_id)

    def _run(self, lesson: Lesson) -> None:
        """On a thread."""
        try:
            run = run_prose(self.session, lesson.explanation, "", lesson.lesson_dir)
            values = dict(run.shown)
        except Exception:  # noqa: BLE001 - no worker, a broken block: the text stays without pictures
            values = {}
        self.host.post_message(self.Drawn(lesson.id, values))
