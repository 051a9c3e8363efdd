"""Shared fixtures: an isolated data directory for every test, the test packs, warm sessions."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.lessons import Catalog
from tutor.session import Session, SessionConfig

TESTS = Path(__file__).parent
PACKS = TESTS / "packs"
EVERY_CHECK = PACKS / "every-check"
FAULTS = PACKS / "faults"


@pytest.fixture(autouse=True)
def tutor_home(tmp_path_factory, monkeypatch) -> Path:
    """No test may touch the real progress database."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("PTREF_TUTOR_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def every_check_catalog() -> Catalog:
    catalog = Catalog.load([EVERY_CHECK])
    assert not catalog.errors, catalog.errors
    return catalog


@pytest.fixture(scope="module")
def every_check_session(every_check_catalog):
    with Session(every_check_catalog, SessionConfig(spare=True)) as session:
        session.ready()
        yield session
