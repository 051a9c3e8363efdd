"""Working the built-in lessons as a learner would, through a real Session and worker: the
module-scoped `session` fixture (import it into a test module to use it) and `check`."""

from __future__ import annotations

import pytest

from tutor.lessons import Catalog
from tutor.paths import builtin_lessons_dir
from tutor.session import Session, SessionConfig


@pytest.fixture(scope="module")
def session():
    catalog = Catalog.load([builtin_lessons_dir()])
    assert not catalog.errors, catalog.errors
    with Session(catalog, SessionConfig(spare=False)) as session:
        yield session


def check(session, exercise_id, code):
    return session.check(session.catalog.exercise(exercise_id), code, record=False)
