"""A tab's tutor (`ptref-tutor app` started by `serve`) ends with the server that started it.

A server stopped with ctrl+c or SIGTERM tells each tab's tutor to quit. A server killed outright
(SIGKILL, the OOM killer) cannot: without this, each tab's tutor and its PyTorch workers would live
on with nobody to talk to. So the server names itself in the environment, and each tutor it starts
asks the kernel for a SIGTERM when its parent dies (the tutor's SIGTERM handling closes its workers).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

SERVER_PID_ENV = "PTREF_TUTOR_SERVER_PID"
_PR_SET_PDEATHSIG = 1


def mark_server() -> None:
    """In the server: every tutor it starts from now on ends with it."""
    os.environ[SERVER_PID_ENV] = str(os.getpid())


def end_with_server() -> None:
    """In a tab's tutor: SIGTERM when the server dies (Linux), or at once if it already has."""
    server = os.environ.pop(SERVER_PID_ENV, "")  # popped: the tutor's own children are not tabs
    if not server.isdigit():
        return
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != int(server):  # the server died before the request above was in place
        os.kill(os.getpid(), signal.SIGTERM)
