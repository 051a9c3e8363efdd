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
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tutor.lessons.fields import LessonError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

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
    from importlib.metadata import entry_points  # ~30 ms with what it imports: see installed_packs_cached

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


def installed_packs_cached(cache_file: Path) -> tuple[list[Pack], list[LessonError]]:
    """installed_packs(), remembered while the distributions on sys.path are the same ones: the
    names of their metadata folders (pip renames or replaces them on every install, upgrade and
    uninstall) and the times of their entry_points.txt. Asking importlib.metadata costs every
    start ~30 ms; this, a listing of each folder on sys.path. Problems found are never
    remembered: they are asked again at each start until fixed."""
    key = _distributions_key()
    try:
        stored = json.loads(cache_file.read_text(encoding="utf-8"))
        if stored["key"] == key:
            return [Pack(Path(path), origin, distribution) for path, origin, distribution in stored["packs"]], []
    except (OSError, ValueError, KeyError, TypeError):
        pass
    packs, problems = installed_packs()
    if not problems:
        try:
            cache_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            temporary = cache_file.with_name(f".{cache_file.name}.{os.getpid()}")
            temporary.write_text(json.dumps({"key": key, "packs": [[str(pack.path), pack.origin, pack.distribution]
                                                                    for pack in packs]}), encoding="utf-8")
            os.replace(temporary, cache_file)
        except OSError:
            pass
    return packs, problems


def _distributions_key() -> list:
    key: list = [sys.version, Path(__file__).stat().st_mtime_ns]
    for entry in sys.path:
        try:
            names = sorted(name for name in os.listdir(entry or ".") if name.endswith((".dist-info", ".egg-info")))
        except OSError:
            continue  # a zip file or a missing folder: importlib.metadata finds nothing there either
        found = []
        for name in names:
            try:
                stamp = os.stat(os.path.join(entry or ".", name, "entry_points.txt")).st_mtime_ns
            except OSError:
                stamp = None
            found.append([name, stamp])
        key.append([entry, found])
    return key


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
