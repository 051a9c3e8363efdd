"""Walls Landlock does not build: changing files' metadata outside the scratch folder (chmod, chown,
utime, extended attributes) and memory that escapes the memory limit (memfd, SysV shared memory).
Each is refused by seccomp, with a sentence the learner can act on, and leaves nothing changed.

Tests that need a kernel feature skip, saying which, where it is missing.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import platform
from pathlib import Path

import pytest

from tutor.lessons import Catalog
from tutor.session import Session, SessionConfig

from conftest import FAULTS
from test_protections import CORRECT, DATALOADER, needs_landlock, needs_seccomp, refused, run

METADATA = "does not let code change the permissions, owner, times or extended attributes of files"
MEMORY = "does not let code create shared memory"


@pytest.fixture(scope="module")
def session():
    config = SessionConfig(spare=False, memory_limit=256 * 1024**2)
    with Session(Catalog.load([FAULTS]), config) as session:
        session.reference(session.catalog.exercise("faults/double"))
        session.reference(session.catalog.exercise("faults/double-with-processes"))
        yield session


# -- metadata --------------------------------------------------------------------------------------
def _xattrs_supported(folder: Path) -> bool:
    probe = folder / "xattr-probe"
    probe.write_text("x")
    try:
        os.setxattr(probe, "user.probe", b"1")
    except OSError:
        return False
    finally:
        probe.unlink()
    return True


@pytest.fixture
def victim(tmp_path):
    """A file the user owns, outside the worker's scratch folder, with an extended attribute."""
    path = tmp_path / "victim.txt"
    path.write_text("keep me\n")
    os.chmod(path, 0o600)
    os.utime(path, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    if _xattrs_supported(tmp_path):
        os.setxattr(path, "user.keep", b"yes")
    return path


def _metadata(path: Path) -> tuple:
    st = os.stat(path)
    try:
        xattrs = sorted((name, os.getxattr(path, name)) for name in os.listxattr(path))
    except OSError:
        xattrs = []
    return st.st_mode, st.st_uid, st.st_gid, st.st_atime_ns, st.st_mtime_ns, st.st_ctime_ns, xattrs


# One call each, as learner code would make it; {path} is the victim, {folder} its folder.
METADATA_CALLS = {
    "chmod": "os.chmod({path!r}, 0o777)",
    "chmod-nofollow": "os.chmod({path!r}, 0o777, follow_symlinks=False)",
    "chmod-at": "os.chmod('victim.txt', 0o777, dir_fd=os.open({folder!r}, os.O_RDONLY))",
    "fchmod": "os.fchmod(os.open({path!r}, os.O_RDONLY), 0o777)",
    "pathlib-chmod": "pathlib.Path({path!r}).chmod(0o777)",
    "chown": "os.chown({path!r}, os.getuid(), os.getgid())",
    "lchown": "os.lchown({path!r}, os.getuid(), os.getgid())",
    "fchown": "os.fchown(os.open({path!r}, os.O_RDONLY), os.getuid(), os.getgid())",
    "chown-at": "os.chown('victim.txt', os.getuid(), os.getgid(), dir_fd=os.open({folder!r}, os.O_RDONLY))",
    "utime": "os.utime({path!r}, (0, 0))",
    "utime-now": "os.utime({path!r})",
    "futime": "os.utime(os.open({path!r}, os.O_RDONLY), (0, 0))",
    "utime-at": "os.utime('victim.txt', (0, 0), dir_fd=os.open({folder!r}, os.O_RDONLY))",
    "setxattr": "os.setxattr({path!r}, 'user.evil', b'x')",
    "fsetxattr": "os.setxattr(os.open({path!r}, os.O_RDONLY), 'user.evil', b'x')",
    "removexattr": "os.removexattr({path!r}, 'user.keep')",
    "lremovexattr": "os.removexattr({path!r}, 'user.keep', follow_symlinks=False)",
}


@needs_seccomp
@pytest.mark.parametrize("name", sorted(METADATA_CALLS))
def test_metadata_of_files_outside_the_scratch_folder_cannot_change(session, victim, name):
    if "xattr" in name and not os.listxattr(victim):
        pytest.skip("this file system has no user extended attributes")
    before = _metadata(victim)
    call = METADATA_CALLS[name].format(path=str(victim), folder=str(victim.parent))
    verdict = refused(run(session, f"import os, pathlib\n{call}\n"), METADATA)
    assert "PermissionError" in verdict.error.type
    assert _metadata(victim) == before


# x86_64 numbers: every system call of the family, made directly (as ctypes or C code could).
RAW_CALLS = {
    "chmod": (90, "P, 0o777"), "fchmod": (91, "F, 0o777"), "chown": (92, "P, U, G"), "fchown": (93, "F, U, G"),
    "lchown": (94, "P, U, G"), "utime": (132, "P, None"), "utimes": (235, "P, None"),
    "setxattr": (188, "P, b'user.evil', b'x', 1, 0"), "lsetxattr": (189, "P, b'user.evil', b'x', 1, 0"),
    "fsetxattr": (190, "F, b'user.evil', b'x', 1, 0"), "removexattr": (197, "P, b'user.keep'"),
    "lremovexattr": (198, "P, b'user.keep'"), "fremovexattr": (199, "F, b'user.keep'"),
    "fchownat": (260, "-100, P, U, G, 0"), "futimesat": (261, "-100, P, None"),
    "fchmodat": (268, "-100, P, 0o777"), "utimensat": (280, "-100, P, None, 0"),
    "fchmodat2": (452, "-100, P, 0o777, 0"), "setxattrat": (463, "-100, P, 0, b'user.evil', A, 16"),
    "removexattrat": (466, "-100, P, 0, b'user.keep'"), "file_setattr": (469, "-100, P, Z, 24, 0"),
}
RAW_PROGRAM = """
import ctypes, json, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
P = {path!r}.encode()
F = os.open(P, os.O_RDONLY)
U, G = os.getuid(), os.getgid()
value = ctypes.create_string_buffer(b'x')
A = ctypes.byref((ctypes.c_uint64 * 2)(ctypes.addressof(value), 1))  # struct xattr_args
Z = ctypes.byref((ctypes.c_uint8 * 24)())  # struct file_attr, all zero
results = {{}}
for name, (number, args) in {calls!r}.items():
    ctypes.set_errno(0)
    result = libc.syscall(ctypes.c_long(number), *eval('(' + args + ',)'))
    results[name] = [result, ctypes.get_errno()]
print(json.dumps(results))
"""


@needs_seccomp
@pytest.mark.skipif(platform.machine() != "x86_64", reason="the raw system call numbers are x86_64's")
def test_every_metadata_system_call_is_refused(session, victim):
    before = _metadata(victim)
    verdict = run(session, RAW_PROGRAM.format(path=str(victim), calls=RAW_CALLS) + CORRECT)
    assert verdict.passed, verdict
    results = json.loads(verdict.stdout)
    refused_calls = {name for name, (result, error) in results.items() if result == -1 and error == 1}
    assert refused_calls == set(RAW_CALLS), {k: v for k, v in results.items() if k not in refused_calls}
    assert _metadata(victim) == before


@needs_seccomp
def test_file_attribute_ioctls_are_refused(session, tmp_path):
    target = tmp_path / "flags.txt"
    target.write_text("x")
    fd = os.open(target, os.O_RDONLY)
    try:
        fcntl.ioctl(fd, 0x80086601, bytearray(8))  # FS_IOC_GETFLAGS
    except OSError:
        pytest.skip("this file system has no inode flags")
    finally:
        os.close(fd)
    before = _metadata(target)
    program = ("import fcntl, os, struct\nfd = os.open({path!r}, os.O_RDONLY)\n"
               "fcntl.ioctl(fd, 0x40086602, struct.pack('l', 0x00000040))\n")  # FS_IOC_SETFLAGS: nodump
    verdict = run(session, program.format(path=str(target)))
    assert verdict.status == "error" and "Operation not permitted" in verdict.error.message, verdict.error
    assert _metadata(target) == before


SCRATCH_WORK = """
import os, pathlib, shutil, tempfile, zipfile
import numpy, torch
torch.save({'w': torch.ones(3)}, 'model.pt')
assert torch.load('model.pt')['w'].sum().item() == 3
numpy.save('a.npy', numpy.arange(4))
assert numpy.load('a.npy').sum() == 6
with tempfile.NamedTemporaryFile() as handle:
    handle.write(b'x')
with tempfile.TemporaryDirectory() as folder:
    (pathlib.Path(folder) / 'f').write_text('x')
shutil.copyfile(lesson_dir / '10-faults.toml', 'copy.toml')
with zipfile.ZipFile('z.zip', 'w') as archive:
    archive.writestr('a.txt', 'hello')
zipfile.ZipFile('z.zip').extractall('unzipped')
pathlib.Path('touched').touch()
pathlib.Path('touched').touch()
print('fine')
"""


@needs_seccomp
@needs_landlock
@pytest.mark.parametrize("exercise", ["faults/double", "faults/double-with-processes"])
def test_what_code_does_in_its_scratch_folder_still_works(session, exercise):
    verdict = run(session, SCRATCH_WORK + CORRECT, exercise)
    assert verdict.passed and verdict.stdout == "fine\n", verdict


@needs_seccomp
def test_dataloader_workers_still_work(session):
    assert run(session, DATALOADER, "faults/double-with-processes").passed


@needs_seccomp
def test_shutil_copy_says_what_to_use_instead(session):
    verdict = refused(run(session, "import shutil\nshutil.copy(lesson_dir / '10-faults.toml', 'copy.toml')\n"),
                      METADATA)
    assert "shutil.copyfile" in verdict.error.message


# -- memory ----------------------------------------------------------------------------------------
MEMFD = """
import os
fd = os.memfd_create('big')
os.ftruncate(fd, 1536 * 1024**2)
chunk = b'x' * (64 * 1024**2)
for offset in range(0, 1536 * 1024**2, len(chunk)):
    os.pwrite(fd, chunk, offset)
"""


@needs_seccomp
@pytest.mark.parametrize("exercise", ["faults/double", "faults/double-with-processes"])
def test_memfd_cannot_escape_the_memory_limit(session, exercise):
    refused(run(session, MEMFD, exercise), MEMORY)


SHM_KEY = 0x70747266  # "ptrf"
SHMGET = f"""
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
print(libc.shmget({SHM_KEY}, 64 * 1024**2, 0o1000 | 0o600), ctypes.get_errno())
"""


def _segments_with_key(key: int) -> list[int]:
    table = Path("/proc/sysvipc/shm")
    if not table.exists():
        return []
    rows = [line.split() for line in table.read_text().splitlines()[1:]]
    return [int(row[1]) for row in rows if int(row[0]) == key]


@needs_seccomp
@pytest.mark.parametrize("exercise", ["faults/double", "faults/double-with-processes"])
def test_sysv_shared_memory_is_refused_and_nothing_persists(session, exercise):
    for segment in _segments_with_key(SHM_KEY):  # left by an earlier, failed run of this test
        ctypes.CDLL(None).shmctl(segment, 0, None)
    try:
        verdict = run(session, SHMGET + CORRECT, exercise)
        assert verdict.passed and verdict.stdout == "-1 1\n", verdict.stdout
        assert _segments_with_key(SHM_KEY) == []
    finally:
        for segment in _segments_with_key(SHM_KEY):
            ctypes.CDLL(None).shmctl(segment, 0, None)  # IPC_RMID
