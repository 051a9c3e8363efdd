"""The app's lesson cache (tutor/lessons/cache.py): a start reads the parsed lessons back only while
nothing they came from has changed; otherwise, or when the cache is damaged or not to be trusted,
the lessons are parsed as without it."""

import os
import time
from pathlib import Path

import pytest

import tutor.lessons.loader as loader
from tutor.lessons import cache
from tutor.lessons.cache import load_with_cache
from tutor.lessons.packs import Pack

LESSON = '''format = 1
id = "shapes"
title = "{title}"
summary = "One line."
explanation = "Text."

[[exercise]]
id = "square"
title = "A square"
prompt = "Do it."
starter = "square = ..."
solution = "square = torch.arange(9.).reshape(3, 3)"
setup = "import torch"

[[exercise.check]]
kind = "tensor"
name = "square"
'''


def age(path: Path, seconds: float = 60) -> None:
    """Set back a file's times, as if it had been written a while ago (the cache skips fresh files)."""
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.fixture(autouse=True)
def tutor_code(tmp_path, monkeypatch):
    """The code the cache depends on: a stand-in folder, so that a tutor module edited a moment
    ago (while developing) cannot make these tests skip the cache as 'changed too recently'."""
    code = tmp_path / "code"
    code.mkdir()
    (code / "loader.py").write_text("RULES = 1\n")
    age(code / "loader.py")
    age(code)
    monkeypatch.setattr(cache, "CODE_ROOT", code)
    return code


@pytest.fixture
def pack(tmp_path):
    folder = tmp_path / "pack"
    folder.mkdir()
    lesson = folder / "10-shapes.toml"
    lesson.write_text(LESSON.format(title="Shapes"))
    age(lesson)
    age(folder)
    return Pack(folder, "--lessons")


@pytest.fixture
def cache_file(tmp_path):
    return tmp_path / "home" / "cache" / "catalog.pickle"


def parses(monkeypatch) -> list[Path]:
    """Record every lesson file the loader parses from now on."""
    seen: list[Path] = []
    real = loader.load_lesson

    def counting(path):
        seen.append(Path(path))
        return real(path)

    monkeypatch.setattr(loader, "load_lesson", counting)
    return seen


def test_a_second_start_reads_the_lessons_from_the_cache(pack, cache_file, monkeypatch):
    first = load_with_cache([pack], cache_file)
    assert cache_file.is_file()
    seen = parses(monkeypatch)
    second = load_with_cache([pack], cache_file)
    assert seen == []
    assert second.lessons == first.lessons and second.lessons[0].title == "Shapes"
    assert second.origin("shapes") == pack
    assert second.exercise("shapes/square").source == pack.path / "10-shapes.toml"


def test_an_edited_lesson_is_parsed_again(pack, cache_file, monkeypatch):
    load_with_cache([pack], cache_file)
    lesson = pack.path / "10-shapes.toml"
    lesson.write_text(LESSON.format(title="Shapes, edited"))  # same size class, new content
    age(lesson, 30)
    seen = parses(monkeypatch)
    assert load_with_cache([pack], cache_file).lessons[0].title == "Shapes, edited"
    assert seen == [lesson]


def test_a_new_file_in_a_pack_is_seen(pack, cache_file, monkeypatch):
    load_with_cache([pack], cache_file)
    second = pack.path / "20-more.toml"
    second.write_text(LESSON.format(title="More").replace('id = "shapes"', 'id = "more"'))
    age(second)
    catalog = load_with_cache([pack], cache_file)
    assert [lesson.id for lesson in catalog.lessons] == ["shapes", "more"]


def test_another_set_of_packs_is_not_served_the_cached_catalog(pack, cache_file, tmp_path):
    load_with_cache([pack], cache_file)
    other = tmp_path / "other"
    other.mkdir()
    (other / "10-x.toml").write_text(LESSON.format(title="Other").replace('id = "shapes"', 'id = "x"'))
    age(other / "10-x.toml")
    catalog = load_with_cache([Pack(other, "--lessons")], cache_file)
    assert [lesson.id for lesson in catalog.lessons] == ["x"]


def test_a_change_to_the_tutors_own_code_invalidates_the_cache(pack, cache_file, tutor_code, monkeypatch):
    load_with_cache([pack], cache_file)
    (tutor_code / "loader.py").write_text("RULES = 22\n")
    age(tutor_code / "loader.py", 30)
    seen = parses(monkeypatch)
    load_with_cache([pack], cache_file)
    assert seen == [pack.path / "10-shapes.toml"]


def test_lessons_changed_a_moment_ago_are_not_cached(pack, cache_file):
    (pack.path / "10-shapes.toml").touch()  # its time stamp may not show a second change in this tick
    load_with_cache([pack], cache_file)
    assert not cache_file.exists()


@pytest.mark.parametrize("damage", [b"", b"not a pickle", b"\x80\x05\x95garbage"])
def test_a_damaged_cache_is_only_a_slower_start(pack, cache_file, damage):
    load_with_cache([pack], cache_file)
    cache_file.write_bytes(damage)
    catalog = load_with_cache([pack], cache_file)
    assert catalog.lessons[0].title == "Shapes"
    assert load_with_cache([pack], cache_file).lessons[0].title == "Shapes"  # and it was rewritten


def test_a_cache_others_may_write_is_never_read(pack, cache_file, monkeypatch):
    load_with_cache([pack], cache_file)
    os.chmod(cache_file, 0o666)
    seen = parses(monkeypatch)
    load_with_cache([pack], cache_file)
    assert seen == [pack.path / "10-shapes.toml"]


def test_a_cache_in_a_folder_others_may_write_is_never_read(pack, cache_file, monkeypatch):
    load_with_cache([pack], cache_file)
    os.chmod(cache_file.parent, 0o777)
    seen = parses(monkeypatch)
    load_with_cache([pack], cache_file)
    assert seen == [pack.path / "10-shapes.toml"]


def test_a_cache_that_cannot_be_written_costs_nothing_but_time(pack, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    catalog = load_with_cache([pack], blocked / "cache" / "catalog.pickle")
    assert catalog.lessons[0].title == "Shapes"


def test_a_huge_pack_is_parsed_every_time(pack, cache_file, monkeypatch):
    monkeypatch.setattr(cache, "MAX_ENTRIES", 2)
    load_with_cache([pack], cache_file)
    assert not cache_file.exists()


def test_lesson_errors_come_back_from_the_cache_with_file_and_line(pack, cache_file):
    broken = pack.path / "20-broken.toml"
    broken.write_text(LESSON.format(title="Broken").replace('id = "shapes"', 'id = "Bad Id"'))
    age(broken)
    first = load_with_cache([pack], cache_file)
    second = load_with_cache([pack], cache_file)
    assert [str(error) for error in second.errors] == [str(error) for error in first.errors]
    assert second.errors and str(broken) in str(second.errors[0])


# -- pip-installed packs, found once and remembered while the distributions on sys.path are the same --

def install_fake_pack(site: Path, name: str) -> None:
    """What pip leaves in site-packages for a pack: the package folder and its dist-info."""
    (site / name / "lessons").mkdir(parents=True)
    (site / name / "__init__.py").write_text("")
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[ptref_tutor.packs]\nintro = {name}.lessons\n")


@pytest.fixture
def site(tmp_path, monkeypatch):
    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


def test_installed_packs_are_remembered_until_the_distributions_on_sys_path_change(site, tmp_path, monkeypatch):
    import importlib.metadata

    from tutor.lessons.packs import installed_packs_cached

    remembered = tmp_path / "home" / "cache" / "packs.json"
    install_fake_pack(site, "course_one")
    found, problems = installed_packs_cached(remembered)
    assert problems == [] and [pack.distribution for pack in found] == ["course_one"]
    assert found[0].path == site / "course_one" / "lessons"

    def not_asked(**_):
        raise AssertionError("importlib.metadata was asked again")

    monkeypatch.setattr(importlib.metadata, "entry_points", not_asked)
    again, _ = installed_packs_cached(remembered)
    assert again == found
    monkeypatch.undo()
    monkeypatch.syspath_prepend(str(site))

    time.sleep(0.01)  # a new modification time for the folder, whatever the file system's tick
    install_fake_pack(site, "course_two")
    found, _ = installed_packs_cached(remembered)
    assert sorted(pack.distribution for pack in found) == ["course_one", "course_two"]


def test_an_installed_pack_with_a_problem_is_asked_again_at_each_start(site, tmp_path, monkeypatch):
    from tutor.lessons.packs import installed_packs_cached

    remembered = tmp_path / "home" / "cache" / "packs.json"
    install_fake_pack(site, "course_one")
    (site / "course_one-1.0.dist-info" / "entry_points.txt").write_text("[ptref_tutor.packs]\nintro = nowhere.x\n")
    found, problems = installed_packs_cached(remembered)
    assert found == [] and len(problems) == 1
    assert not remembered.exists()
