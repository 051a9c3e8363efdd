"""The parsed catalog kept between starts of the app, so a start reads one file instead of parsing
every lesson (24 lessons: ~150 ms of TOML, line indexes and syntax checks; from the cache ~5 ms).

The cache is valid only for exactly what it was made from: every file and folder under each pack
(path, kind, size, modification and change times, inode; a symlink's target too), the packs in
order, the tutor's own code (every module's size and times) and the Python version. Anything
different and the lessons are parsed again, as without a cache. Files changed in the last two
seconds are not cached (their time stamp might not show a change made in the same tick). A pack
too big to fingerprint cheaply is never cached. A cache that cannot be read, written or trusted is
ignored: it only ever saves time.

The file is a pickle, read only when it belongs to this user and nobody else may write it or its
folder: it lies in the learner's own data directory, which sandboxed lesson code cannot write
(docs/security.md, files).
"""

from __future__ import annotations

import os
import pickle
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from tutor.lessons.catalog import Catalog
from tutor.lessons.packs import Pack

FORMAT = 1
MAX_ENTRIES = 5000  # files and folders in all packs together; a bigger tree is parsed every time
RACY_SECONDS = 2.0
CODE_ROOT = Path(__file__).resolve().parent.parent  # the `tutor` package


def load_with_cache(packs: Sequence[Pack], cache_file: Path) -> Catalog:
    """The catalog of `packs`, from `cache_file` when it is still exactly right, else parsed (and
    the cache rewritten)."""
    fingerprint = catalog_fingerprint(packs)
    if fingerprint is not None:
        cached = _read(cache_file, fingerprint)
        if cached is not None:
            return cached
    catalog = Catalog.load(packs)
    if fingerprint is not None and not _recently_changed(fingerprint):
        _write(cache_file, fingerprint, catalog)
    return catalog


def catalog_fingerprint(packs: Sequence[Pack]) -> tuple | None:
    """What the catalog depends on, as comparable data; None when it cannot be had cheaply."""
    entries: list[tuple] = []
    for pack in packs:
        entries.append(("pack", str(pack.path), pack.origin, pack.distribution))
        if not _walk(pack.path, entries):
            return None
    code: list[tuple] = []
    if not _walk(CODE_ROOT, code, suffix=".py"):
        return None
    return (FORMAT, sys.version, tuple(entries), tuple(code))


def _walk(root: Path, entries: list[tuple], suffix: str | None = None) -> bool:
    """Append the stat of `root` and everything under it; False when there is too much."""
    stack = [str(root)]
    while stack:
        path = stack.pop()
        try:
            info = os.lstat(path)
        except OSError:
            entries.append((path, "missing"))
            continue
        is_link = os.path.islink(path)
        if not suffix or path.endswith(suffix) or os.path.isdir(path):
            entries.append((path, info.st_mode, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino,
                            _target(path) if is_link else None))
        if len(entries) > MAX_ENTRIES:
            return False
        if not is_link and os.path.isdir(path):
            try:
                names = sorted(os.listdir(path))
            except OSError:
                entries.append((path, "unreadable"))
                continue
            stack.extend(os.path.join(path, name) for name in reversed(names) if name != "__pycache__")
    return True


def _target(path: str) -> tuple | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (os.path.realpath(path), info.st_mode, info.st_size, info.st_mtime_ns)


def _recently_changed(fingerprint: tuple) -> bool:
    newest = max((entry[3] for part in fingerprint[2:] for entry in part if len(entry) == 7), default=0)
    return newest / 1e9 > time.time() - RACY_SECONDS


def _trusted(path: Path) -> bool:
    """Ours, and writable by nobody else (nor is its folder): only then is a pickle read."""
    if not hasattr(os, "getuid"):
        return False  # no POSIX owners to check (Windows): parse every time
    try:
        for target in (path, path.parent):
            info = os.stat(target)
            if info.st_uid != os.getuid() or info.st_mode & 0o022:
                return False
    except OSError:
        return False
    return True


def _read(cache_file: Path, fingerprint: tuple) -> Catalog | None:
    if not _trusted(cache_file):
        return None
    try:
        with open(cache_file, "rb") as handle:
            stored_fingerprint, catalog = pickle.load(handle)
    except Exception:  # noqa: BLE001 - a stale or damaged cache is only a slower start
        return None
    if stored_fingerprint != fingerprint or not isinstance(catalog, Catalog):
        return None
    return catalog


def _write(cache_file: Path, fingerprint: tuple, catalog: Catalog) -> None:
    try:
        cache_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".catalog-", dir=cache_file.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump((fingerprint, catalog), out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, cache_file)
        except BaseException:
            os.unlink(temporary)
            raise
    except (OSError, pickle.PicklingError, RecursionError, TypeError, AttributeError):
        pass  # a cache that cannot be written costs the next start its time, nothing else
