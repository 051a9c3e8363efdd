"""A run stopped while it imports leaves half-initialised modules behind: its worker must not serve
the next run (the first optimizer step imports torch._dynamo and torch._inductor lazily, seconds
of work, so a timeout can land there; every later run in that worker then failed, the reference
solutions included, with "partially initialized module ...")."""

from __future__ import annotations

from pathlib import Path

from tutor.lessons import Catalog
from tutor.session import Session, SessionConfig

PACK = '''
format = 1
id = "stopped-import"
title = "Stopped while importing"
explanation = "Two exercises: one stopped in the middle of an import, one that looks for what it left."

[[exercise]]
id = "slow-import"
title = "A module whose import outlasts the timeout"
prompt = "Import a slow package."
starter = "y = ..."
solution = "y = 1"
timeout = 1.0
variants = 1

[[exercise.check]]
kind = "tensor"
name = "y"

[[exercise]]
id = "modules-left"
title = "What the last run left in sys.modules"
prompt = "Look."
starter = "left = ..."
solution = """
import sys
left = sorted(name for name in sys.modules if name.startswith("slowpkg"))
"""
variants = 1

[[exercise.check]]
kind = "assert"
expr = "left == []"
message = "the stopped run's half-imported package is still in this worker's sys.modules"
'''

# A package whose first submodule imports, then whose __init__ sleeps past the run's timeout.
SLOW_IMPORT = '''
import pathlib, sys
pkg = pathlib.Path("slowpkg")
pkg.mkdir()
(pkg / "fast.py").write_text("VALUE = 1\\n")
(pkg / "__init__.py").write_text("from . import fast\\nimport time\\ntime.sleep(30)\\n")
sys.path.insert(0, ".")
import slowpkg
y = 1
'''


def test_a_run_stopped_inside_an_import_gets_a_fresh_worker(tmp_path: Path):
    (tmp_path / "pack.toml").write_text(PACK)
    catalog = Catalog.load([tmp_path])
    assert not catalog.errors, catalog.errors
    slow = catalog.exercise("stopped-import/slow-import")
    after = catalog.exercise("stopped-import/modules-left")
    with Session(catalog, SessionConfig(spare=False)) as session:
        stopped = session.check(slow, SLOW_IMPORT, record=False)
        assert stopped.status == "timeout"
        verdict = session.check(after, after.solution, record=False)
        assert verdict.passed, [check.message for check in verdict.checks]
