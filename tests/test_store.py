"""The progress store: real SQLite files, several writers at once, a killed writer, a corrupt file."""

import multiprocessing
import os
import signal
import sqlite3
import time

import pytest

from tutor.progress.store import ProgressStore, StoreError


def test_attempts_drafts_hints_and_position(tmp_path):
    store = ProgressStore(tmp_path / "p.db")
    store.record_attempt("a/x", "failed", 1.5, "cpu", "x = 1")
    store.record_attempt("a/x", "passed", 1.2, "cpu", "x = 2")
    store.record_attempt("a/y", "error", 3.0, "cpu")
    store.save_draft("a/y", "y = (")
    assert store.use_hint("a/y") == 1 and store.use_hint("a/y") == 2
    store.reveal_solution("a/z")
    store.add_time("a/x", 12.5)
    store.set_position("a/y")
    summary = store.summary()
    assert summary["a/x"].status == "done" and summary["a/x"].attempts == 2 and summary["a/x"].seconds == 12.5
    assert summary["a/y"].status == "in_progress" and summary["a/y"].hints_used == 2
    assert summary["a/y"].last_status == "error"
    assert summary["a/z"].revealed and summary["a/z"].status == "in_progress"
    assert store.draft("a/y") == "y = (" and store.position() == "a/y"
    store.close()
    reopened = ProgressStore(tmp_path / "p.db")
    assert reopened.summary() == summary
    reopened.reset("a/x")
    assert "a/x" not in reopened.summary()
    reopened.reset()
    assert reopened.summary() == {} and reopened.position() is None


def test_draft_history_keeps_every_distinct_version(tmp_path):
    store = ProgressStore(tmp_path / "p.db")
    for text in ("a", "a", "ab", "abc"):
        store.save_draft("l/e", text)
    assert store.draft_history("l/e") == ["a", "ab", "abc"]


def _writer(path, name, count):
    store = ProgressStore(path)
    for i in range(count):
        store.record_attempt(f"l/{name}", "failed", float(i), "cpu")
        store.save_draft(f"l/{name}", f"{name} {i}")


def test_two_tutors_writing_at_once_lose_nothing(tmp_path):
    path = tmp_path / "p.db"
    ProgressStore(path).close()
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_writer, args=(path, name, 200)) for name in ("a", "b", "c")]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(60)
        assert writer.exitcode == 0
    store = ProgressStore(path)
    for name in ("a", "b", "c"):
        assert len(store.attempts(f"l/{name}")) == 200
        assert store.draft(f"l/{name}") == f"{name} 199"


def _endless_writer(path, ready):
    store = ProgressStore(path)
    i = 0
    while True:
        store.record_attempt("l/k", "failed", float(i), "cpu")
        i += 1
        if i == 50:
            ready.set()


def test_a_writer_killed_mid_write_loses_only_the_write_in_flight(tmp_path):
    path = tmp_path / "p.db"
    ProgressStore(path).close()
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    writer = context.Process(target=_endless_writer, args=(path, ready))
    writer.start()
    assert ready.wait(60)
    time.sleep(0.2)
    os.kill(writer.pid, signal.SIGKILL)
    writer.join(10)
    store = ProgressStore(path)
    durations = [a["duration_ms"] for a in store.attempts("l/k")]
    assert len(durations) >= 50
    assert durations == [float(i) for i in range(len(durations))]  # no gap, no torn row
    assert store.notice is None


def test_a_corrupt_file_is_moved_aside_with_a_notice(tmp_path):
    path = tmp_path / "p.db"
    path.write_bytes(b"this is not a database" * 100)
    store = ProgressStore(path)
    assert store.notice and "moved to" in store.notice and "Nothing was deleted" in store.notice
    moved = [p for p in tmp_path.iterdir() if ".corrupt-" in p.name]
    assert len(moved) == 1 and moved[0].read_bytes().startswith(b"this is not a database")
    store.record_attempt("l/e", "passed")
    assert store.summary()["l/e"].status == "done"


def test_a_newer_schema_is_refused_not_overwritten(tmp_path):
    path = tmp_path / "p.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(StoreError, match="newer ptref-tutor"):
        ProgressStore(path)
    assert path.exists()
