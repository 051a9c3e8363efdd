"""The learner's progress in SQLite: attempts, drafts, hints used, solutions revealed, position, time.

One file in the data directory (PTREF_TUTOR_HOME overrides it). WAL mode and a busy timeout let two
tutors (two SSH sessions) write at once; every write is its own IMMEDIATE transaction, so a kill -9
loses at most the write in flight. Drafts keep a short history, so two instances editing the same
exercise never lose each other's text. A file that is not a readable database is moved aside with a
notice, never deleted.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tutor.paths import data_dir

DB_NAME = "progress.db"
DRAFT_HISTORY = 50

# Each entry upgrades the schema by one version; PRAGMA user_version records where a file stands.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE attempts (
        id INTEGER PRIMARY KEY,
        exercise TEXT NOT NULL,
        status TEXT NOT NULL,
        duration_ms REAL,
        device TEXT,
        code TEXT,
        created_at REAL NOT NULL
    );
    CREATE INDEX attempts_by_exercise ON attempts(exercise);
    CREATE TABLE drafts (exercise TEXT PRIMARY KEY, code TEXT NOT NULL, updated_at REAL NOT NULL);
    CREATE TABLE draft_history (
        id INTEGER PRIMARY KEY, exercise TEXT NOT NULL, code TEXT NOT NULL, saved_at REAL NOT NULL
    );
    CREATE INDEX draft_history_by_exercise ON draft_history(exercise);
    CREATE TABLE hints (exercise TEXT PRIMARY KEY, used INTEGER NOT NULL);
    CREATE TABLE reveals (exercise TEXT PRIMARY KEY, revealed_at REAL NOT NULL);
    CREATE TABLE time_spent (exercise TEXT PRIMARY KEY, seconds REAL NOT NULL);
    CREATE TABLE position (key TEXT PRIMARY KEY, exercise TEXT NOT NULL, updated_at REAL NOT NULL);
    """,
    # 2: who the learner is, for the files an instructor merges (`progress --json`, `--merge`): a
    # random id made once per store (so two exports of one learner are known as one), and a name.
    """
    CREATE TABLE learner (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO learner (key, value) VALUES ('id', lower(hex(randomblob(16))));
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


class StoreError(Exception):
    """The progress file cannot be used (e.g. written by a newer tutor)."""


@dataclass(frozen=True)
class ExerciseProgress:
    exercise: str
    status: str  # "done" | "in_progress" | "not_started"
    attempts: int = 0
    hints_used: int = 0
    revealed: bool = False
    seconds: float = 0.0
    last_status: str | None = None


class ProgressStore:
    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path else data_dir() / DB_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.notice: str | None = None
        self._lock = threading.RLock()
        self._conn = self._open()

    # -- opening ----------------------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        try:
            return self._connect_and_migrate()
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise StoreError(f"{self.path} is locked by another program: {exc}") from None
            moved = self._move_aside()
            self.notice = (f"The progress file {self.path} could not be read ({exc}); it was moved to "
                           f"{moved.name} and a new one started. Nothing was deleted.")
            return self._connect_and_migrate()

    def _connect_and_migrate(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA busy_timeout = 10000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise sqlite3.DatabaseError(f"integrity check failed: {check}")
            self._migrate(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path} was written by a newer ptref-tutor (schema {version}, "
                             f"this one knows {SCHEMA_VERSION}); upgrade the tutor")
        if version == SCHEMA_VERSION:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]  # another tutor may have won
            for step in range(version, SCHEMA_VERSION):
                for statement in filter(str.strip, MIGRATIONS[step].split(";")):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _move_aside(self) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        counter = 1
        while target.exists():
            target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{counter}")
            counter += 1
        self.path.rename(target)
        for suffix in ("-wal", "-shm"):
            sidecar = self.path.with_name(self.path.name + suffix)
            if sidecar.exists():
                sidecar.rename(target.with_name(target.name + suffix))
        return target

    @contextmanager
    def _write(self):
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _read(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    # -- attempts ---------------------------------------------------------------------------------
    def record_attempt(self, exercise: str, status: str, duration_ms: float | None = None,
                       device: str | None = None, code: str | None = None) -> int:
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO attempts (exercise, status, duration_ms, device, code, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)", (exercise, status, duration_ms, device, code, time.time()))
            return int(cursor.lastrowid)

    def attempts(self, exercise: str) -> list[dict]:
        rows = self._read("SELECT id, status, duration_ms, device, created_at FROM attempts "
                          "WHERE exercise = ? ORDER BY id", (exercise,))
        return [dict(zip(("id", "status", "duration_ms", "device", "created_at"), row)) for row in rows]

    # -- drafts -----------------------------------------------------------------------------------
    def save_draft(self, exercise: str, code: str) -> None:
        now = time.time()
        with self._write() as conn:
            current = conn.execute("SELECT code FROM drafts WHERE exercise = ?", (exercise,)).fetchone()
            if current is not None and current[0] == code:
                return
            conn.execute("INSERT INTO drafts (exercise, code, updated_at) VALUES (?, ?, ?) "
                         "ON CONFLICT(exercise) DO UPDATE SET code = excluded.code, updated_at = excluded.updated_at",
                         (exercise, code, now))
            conn.execute("INSERT INTO draft_history (exercise, code, saved_at) VALUES (?, ?, ?)",
                         (exercise, code, now))
            conn.execute("DELETE FROM draft_history WHERE exercise = ? AND id NOT IN "
                         "(SELECT id FROM draft_history WHERE exercise = ? ORDER BY id DESC LIMIT ?)",
                         (exercise, exercise, DRAFT_HISTORY))

    def draft(self, exercise: str) -> str | None:
        rows = self._read("SELECT code FROM drafts WHERE exercise = ?", (exercise,))
        return rows[0][0] if rows else None

    def draft_history(self, exercise: str) -> list[str]:
        rows = self._read("SELECT code FROM draft_history WHERE exercise = ? ORDER BY id", (exercise,))
        return [row[0] for row in rows]

    # -- hints, solutions, time, position ---------------------------------------------------------
    def use_hint(self, exercise: str) -> int:
        with self._write() as conn:
            conn.execute("INSERT INTO hints (exercise, used) VALUES (?, 1) "
                         "ON CONFLICT(exercise) DO UPDATE SET used = used + 1", (exercise,))
            return int(conn.execute("SELECT used FROM hints WHERE exercise = ?", (exercise,)).fetchone()[0])

    def hints_used(self, exercise: str) -> int:
        rows = self._read("SELECT used FROM hints WHERE exercise = ?", (exercise,))
        return int(rows[0][0]) if rows else 0

    def reveal_solution(self, exercise: str) -> None:
        with self._write() as conn:
            conn.execute("INSERT OR IGNORE INTO reveals (exercise, revealed_at) VALUES (?, ?)",
                         (exercise, time.time()))

    def solution_revealed(self, exercise: str) -> bool:
        return bool(self._read("SELECT 1 FROM reveals WHERE exercise = ?", (exercise,)))

    def add_time(self, exercise: str, seconds: float) -> None:
        if seconds <= 0:
            return
        with self._write() as conn:
            conn.execute("INSERT INTO time_spent (exercise, seconds) VALUES (?, ?) "
                         "ON CONFLICT(exercise) DO UPDATE SET seconds = seconds + excluded.seconds",
                         (exercise, seconds))

    def set_position(self, exercise: str) -> None:
        with self._write() as conn:
            conn.execute("INSERT INTO position (key, exercise, updated_at) VALUES ('last', ?, ?) "
                         "ON CONFLICT(key) DO UPDATE SET exercise = excluded.exercise, "
                         "updated_at = excluded.updated_at", (exercise, time.time()))

    def position(self) -> str | None:
        rows = self._read("SELECT exercise FROM position WHERE key = 'last'")
        return rows[0][0] if rows else None

    def data_version(self) -> int:
        """A number that changes when another connection (another tutor, `watch`) commits to the
        file; this store's own writes leave it as it is. Cheap: the app polls it."""
        return int(self._read("PRAGMA data_version")[0][0])

    # -- summaries and reset ----------------------------------------------------------------------
    def summary(self) -> dict[str, ExerciseProgress]:
        """Progress of every exercise the store knows anything about."""
        facts: dict[str, dict] = {}

        def fact(exercise: str) -> dict:
            return facts.setdefault(exercise, {"attempts": 0, "passed": False, "hints": 0, "revealed": False,
                                               "seconds": 0.0, "draft": False, "last": None})

        for exercise, count, passed in self._read(
                "SELECT exercise, COUNT(*), MAX(status = 'passed') FROM attempts GROUP BY exercise"):
            fact(exercise).update(attempts=count, passed=bool(passed))
        for exercise, status in self._read(
                "SELECT exercise, status FROM attempts WHERE id IN (SELECT MAX(id) FROM attempts GROUP BY exercise)"):
            fact(exercise)["last"] = status
        for exercise, used in self._read("SELECT exercise, used FROM hints"):
            fact(exercise)["hints"] = used
        for (exercise,) in self._read("SELECT exercise FROM reveals"):
            fact(exercise)["revealed"] = True
        for exercise, seconds in self._read("SELECT exercise, seconds FROM time_spent"):
            fact(exercise)["seconds"] = seconds
        for (exercise,) in self._read("SELECT exercise FROM drafts"):
            fact(exercise)["draft"] = True
        result = {}
        for exercise, f in facts.items():
            started = f["attempts"] or f["draft"] or f["hints"] or f["revealed"]
            status = "done" if f["passed"] else "in_progress" if started else "not_started"
            result[exercise] = ExerciseProgress(exercise, status, f["attempts"], f["hints"], f["revealed"],
                                                f["seconds"], f["last"])
        return result

    # -- the learner and the export ------------------------------------------------------------
    def learner(self) -> dict[str, str]:
        """{"id": a random id made once for this store, "name": what `progress --name` set, or ""}."""
        facts = dict(self._read("SELECT key, value FROM learner"))
        return {"id": facts.get("id", ""), "name": facts.get("name", "")}

    def set_learner_name(self, name: str) -> None:
        with self._write() as conn:
            conn.execute("INSERT INTO learner (key, value) VALUES ('name', ?) "
                         "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (name,))

    def first_passed(self) -> dict[str, float]:
        """When each exercise was first passed (seconds since the epoch)."""
        return dict(self._read("SELECT exercise, MIN(created_at) FROM attempts WHERE status = 'passed' "
                               "GROUP BY exercise"))

    def reset(self, exercise: str | None = None) -> None:
        """Forget one exercise (or, with None, everything)."""
        tables = ("attempts", "drafts", "draft_history", "hints", "reveals", "time_spent")
        with self._write() as conn:
            for table in tables:
                if exercise is None:
                    conn.execute(f"DELETE FROM {table}")
                else:
                    conn.execute(f"DELETE FROM {table} WHERE exercise = ?", (exercise,))
            if exercise is None:
                conn.execute("DELETE FROM position")

    def close(self) -> None:
        with self._lock:
            self._conn.close()
