"""`ptref-tutor serve` without a browser: who may open a tutor (the token, the page's origin), how many
at once, what it says when asked to listen beyond this machine, and that a tab's tutor and its
workers never outlive the server, even one killed outright. The browser itself: test_serve_browser.py."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from apptools import APP_PACK
from browsertools import Served, alive, descendants
from conftest import TESTS

aiohttp = pytest.importorskip("aiohttp", reason="aiohttp comes with textual-serve, which `serve` needs")


@pytest.fixture
def served(tutor_home, request):
    extra = getattr(request, "param", ())
    server = Served("--lessons", str(APP_PACK), *extra, env={"PTREF_TUTOR_HOME": str(tutor_home)})
    yield server
    server.close()


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


async def fetch(url: str, **headers: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as client:
        async with client.get(url, headers=headers) as response:
            return response.status, await response.text()


async def websocket_status(url: str, **headers: str) -> int:
    async with aiohttp.ClientSession() as client:
        try:
            async with client.ws_connect(url, headers=headers):
                return 101
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status


def test_the_page_and_its_tutors_answer_only_with_the_token(served):
    base = f"http://127.0.0.1:{served.port}"
    token = token_of(served.url)
    status, page = asyncio.run(fetch(served.url))
    assert status == 200 and f"/ws/{token}" in page
    loaded = re.findall(r'(?:src|href)="([^"]*)"', page) + re.findall(r'url\("([^"]*)"\)', page)
    assert loaded and all(address.startswith("/static/") for address in loaded)  # nothing from another host
    for url in (f"{base}/", f"{base}/?token=wrong"):
        status, text = asyncio.run(fetch(url))
        assert status == 403 and "ptref-tutor serve" in text
    assert asyncio.run(websocket_status(f"ws://127.0.0.1:{served.port}/ws/wrong")) == 403
    # A page of another site, open in the learner's browser, cannot start a tutor here.
    assert asyncio.run(websocket_status(f"ws://127.0.0.1:{served.port}/ws/{token}",
                                        Origin="http://evil.example")) == 403
    assert "may not open a tutor here" in served.output()
    assert "tutor(s) running" not in served.output()  # none of these started a tutor


def test_a_tunnel_to_another_local_port_gets_addresses_that_work(served):
    """ssh -L 9000:localhost:8000: the browser asks for localhost:9000; the page must point there."""
    status, page = asyncio.run(fetch(served.url, Host="localhost:9000"))
    assert status == 200 and f"ws://localhost:9000/ws/{token_of(served.url)}" in page


async def open_tabs(url: str, served: Served) -> tuple[list[int], str]:
    """One tutor starts; a second tab over --max-tabs 1 is told why not, on the page."""
    async with aiohttp.ClientSession() as client:
        first = await client.ws_connect(url)
        deadline = time.monotonic() + 180
        while len(descendants(served.process.pid)) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)  # the tutor, then its PyTorch worker
        second = await client.ws_connect(url)
        message = await second.receive(timeout=30)
        tutors = sorted(descendants(served.process.pid))
        served.process.send_signal(signal.SIGKILL)  # killed outright: it can tell nobody
        await asyncio.sleep(0.5)
        await first.close()
        await second.close()
        return tutors, message.data.decode()


@pytest.mark.parametrize("served", [("--max-tabs", "1")], indirect=True)
def test_tabs_beyond_the_limit_are_told_and_tutors_die_with_a_killed_server(served):
    url = f"ws://127.0.0.1:{served.port}/ws/{token_of(served.url)}?width=100&height=30"
    tutors, turned_away = asyncio.run(open_tabs(url, served))
    assert "1 tabs hold a tutor already" in turned_away and "--max-tabs 1" in turned_away
    assert len(tutors) >= 2, "the first tab's tutor and its worker should be running"
    deadline = time.monotonic() + 60
    while any(alive(pid) for pid in tutors) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in tutors if alive(pid)], "a tab's tutor or worker outlived the killed server"


def serve_command(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tutor", "serve", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=TESTS.parent, env=dict(os.environ, COLUMNS="200"))


def test_listening_beyond_this_machine_warns_and_a_bad_address_is_one_line():
    # 192.0.2.1 is a documentation address: never this machine's, so nothing is exposed.
    result = serve_command("--host", "192.0.2.1", "--port", "8999")
    assert result.returncode == 2
    assert "anyone who reaches port 8999" in result.stderr and "run code as" in result.stderr
    assert "cannot listen on 192.0.2.1:8999" in result.stderr and "Traceback" not in result.stderr


def test_the_port_must_be_free_and_valid(served):
    result = serve_command("--port", str(served.port))
    assert result.returncode == 2 and f"cannot listen on 127.0.0.1:{served.port}" in result.stderr
    assert "WARNING" not in result.stderr  # the default address warns about nothing
    result = serve_command("--port", "99999")
    assert result.returncode == 2 and "'99999' is not a port" in result.stderr
