"""The lesson browser: lessons in order, their exercises with a progress mark, a count per lesson."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from tutor.app.resume import status_of
from tutor.lessons.catalog import Catalog
from tutor.lessons.model import Exercise, Lesson
from tutor.progress.store import ExerciseProgress

# Marks differ in shape, not only colour, so they still read with NO_COLOR.
MARKS = {"done": ("✔", "green"), "in_progress": ("◐", "yellow"), "not_started": ("·", "dim")}


class LessonTree(Tree[str]):
    """Node data: "lesson:<id>" for lessons, the full exercise id for exercises."""

    BORDER_TITLE = "Lessons"

    @dataclass
    class ExerciseChosen(Message):
        """The learner picked an exercise (Enter on it)."""

        exercise: Exercise

    def __init__(self, catalog: Catalog, **kwargs) -> None:
        super().__init__("Lessons", **kwargs)
        self.catalog = catalog
        self.show_root = False
        self.guide_depth = 2
        self._exercise_nodes: dict[str, TreeNode[str]] = {}
        self._lesson_nodes: dict[str, TreeNode[str]] = {}
        self._marked: dict[str, str] = {}  # exercise id -> the status its label shows

    def build(self, progress: dict[str, ExerciseProgress]) -> None:
        self.clear()
        self._exercise_nodes.clear()
        self._lesson_nodes.clear()
        self._marked.clear()
        # Labelled as they are added: setting 200 labels afterwards redrew the tree 200 times
        # (~30 ms of the app's first screen).
        for lesson in self.catalog.lessons:
            statuses = [status_of(progress, exercise.full_id) for exercise in lesson.exercises]
            # Collapsed: the open exercise's lesson is expanded by show_exercise (a long course
            # would otherwise push it out of sight).
            node = self.root.add(lesson_label(lesson, statuses), data=f"lesson:{lesson.id}", expand=False)
            self._lesson_nodes[lesson.id] = node
            for exercise, status in zip(lesson.exercises, statuses):
                leaf = node.add_leaf(exercise_label(exercise, status), data=exercise.full_id)
                self._exercise_nodes[exercise.full_id] = leaf
                self._marked[exercise.full_id] = status

    def update_marks(self, progress: dict[str, ExerciseProgress]) -> None:
        """Relabel what changed (a label set redraws the tree: after each run, one or two)."""
        for lesson in self.catalog.lessons:
            statuses = {exercise.full_id: status_of(progress, exercise.full_id) for exercise in lesson.exercises}
            if all(self._marked.get(full_id) == status for full_id, status in statuses.items()):
                continue
            self._lesson_nodes[lesson.id].set_label(lesson_label(lesson, list(statuses.values())))
            for exercise in lesson.exercises:
                status = statuses[exercise.full_id]
                if self._marked.get(exercise.full_id) == status:
                    continue
                self._exercise_nodes[exercise.full_id].set_label(exercise_label(exercise, status))
                self._marked[exercise.full_id] = status

    def show_exercise(self, full_id: str) -> None:
        """Put the cursor on an exercise (without choosing it again)."""
        node = self._exercise_nodes.get(full_id)
        if node is None:
            return
        if node.parent is not None:
            node.parent.expand()
        # After the refresh: a node under a lesson expanded just now has no line yet.
        self.call_after_refresh(self._move_to, node)

    def _move_to(self, node: TreeNode[str]) -> None:
        self.move_cursor(node)
        self.scroll_to_node(node, animate=False)

    def on_tree_node_selected(self, event: Tree.NodeSelected[str]) -> None:
        data = event.node.data
        if data and not data.startswith("lesson:"):
            event.stop()
            self.post_message(self.ExerciseChosen(self.catalog.exercise(data)))


def lesson_label(lesson: Lesson, statuses: list[str]) -> Text:
    done = sum(status == "done" for status in statuses)
    # The count first: a long title is cut at the pane's edge, the count must not be.
    label = Text(f"{done}/{len(statuses)} ", style="green" if done == len(statuses) else "dim")
    label.append(lesson.title, style="bold")
    return label


def exercise_label(exercise: Exercise, status: str) -> Text:
    mark, style = MARKS[status]
    label = Text(f"{mark} ", style=style)
    label.append(exercise.title)
    return label
