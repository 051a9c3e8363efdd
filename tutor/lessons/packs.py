"""Where lesson packs come from: the built-in one, packs installed with pip, and `--lessons DIR`.

A pack installed with pip is a distribution that declares an entry point in the group
`ptref_tutor.packs`, whose value names a package folder of TOML files (`my_course.lessons`). The
folder is found without importing anything from the pack: only the top-level package is located
(importlib's finders, as `import` would), and the rest of the dotted name is a path below it. A
pack's Python code never runs in the tutor; its lessons' code runs in the sandboxed worker.
See docs/lesson-format.md, "Publish your pack".
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

from tutor.lessons.fields import LessonError

ENTRY_POINT_GROUP = "ptref_tutor.packs"


@dataclass(frozen=True)
class Pack:
    path: Path  # a folder of lesson files (or one file, from --lessons)
    origin: str  # where it came from, in words: "built-in", "pip: my-course 1.0 (entry point 'intro')", "--lessons"
    distribution: str | None = None  # the pip distribution's name, for installed packs

    def __str__(self) -> str:
        return f"{self.origin} ({self.path})"


def installed_packs() -> tuple[list[Pack], list[LessonError]]:
    """Every pack pip installed where this Python looks, by distribution name, and the entry
    points that name no folder (as problems: the tutor starts without them)."""
    packs: list[Pack] = []
    problems: list[LessonError] = []
    seen: set[tuple[str, str]] = set()
    for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=_sort_key):
        distribution = entry.dist.metadata["Name"] if entry.dist is not None else "?"
        version = entry.dist.version if entry.dist is not None else "?"
        if (distribution, entry.name) in seen:  # the same distribution seen twice on sys.path
            continue
        seen.add((distribution, entry.name))
        origin = f"pip: {distribution} {version} (entry point '{entry.name}')"
        folder, problem = _folder_of(entry)
        if folder is None:
            problems.append(LessonError(Path(entry.value), 0, f"installed pack {origin}", problem))
            continue
        packs.append(Pack(folder, origin, distribution))
    return packs, problems


def _sort_key(entry: EntryPoint) -> tuple[str, str]:
    name = entry.dist.metadata["Name"] if entry.dist is not None else ""
    return (name.lower(), entry.name)


def _folder_of(entry: EntryPoint) -> tuple[Path | None, str]:
    if entry.attr:
        return None, (f"the entry point's value '{entry.value}' names an attribute; "
                      f"name a package folder of lesson files, e.g. '{entry.module}'")
    top, *below = entry.module.split(".")
    try:
        spec = importlib.util.find_spec(top)  # a top-level name: located, never executed
    except (ImportError, ValueError) as exc:
        return None, f"cannot locate package '{top}': {exc}"
    if spec is None or not spec.submodule_search_locations:
        return None, f"'{top}' is not an installed package folder"
    for location in spec.submodule_search_locations:
        folder = Path(location, *below)
        if folder.is_dir():
            return folder, ""
    return None, f"no folder '{entry.module}' in the installed package '{top}'"
