"""textual-serve's Server, made fit to hand a learner's shell to a browser tab.

textual-serve starts one process per websocket (`command`, here `ptref-tutor app ...`) and relays
its screen and keys. What this subclass adds, because every tab can run code as this user:
- a secret token: the page and its websocket answer only with it (other users of a shared GPU
  server reach 127.0.0.1 too, and a web page in the learner's browser could open a websocket to it);
- a websocket from another site's page (its Origin differs from the Host it asked) is refused;
- at most `max_tabs` tutors at once (each holds a PyTorch worker and a warm spare);
- the page's addresses come from the request, so an SSH tunnel to another local port works;
- a page of our own that loads nothing from another host (textual-serve's asks a font service);
- open tabs end cleanly when the server stops (their tutors close their workers).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp_jinja2
import jinja2
from aiohttp import WSCloseCode, web
from textual_serve.server import Server

TEMPLATES = Path(__file__).parent / "templates"
log = logging.getLogger("ptref-tutor.serve")


def new_token() -> str:
    return secrets.token_urlsafe(24)


class TutorServer(Server):
    def __init__(self, command: str, *, host: str, port: int, token: str, max_tabs: int,
                 announce: Callable[[], None] = lambda: None) -> None:
        super().__init__(command, host=host, port=port, title="ptref-tutor", templates_path=TEMPLATES)
        self.token = token
        self.max_tabs = max_tabs
        self.announce = announce  # prints where to point the browser, once the server listens
        self._sockets: set[web.WebSocketResponse] = set()
        self._tutors = 0

    # -- set-up -------------------------------------------------------------------------------------
    def initialize_logging(self) -> None:
        # Not textual-serve's rich log of every request: our own lines, and warnings.
        logging.basicConfig(level=logging.WARNING, format="ptref-tutor serve: %(message)s")
        log.setLevel(logging.INFO)

    async def _make_app(self) -> web.Application:
        app = web.Application()
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path), autoescape=True)
        app.add_routes([
            web.get("/", self.handle_index, name="index"),
            web.get("/ws/{token}", self.handle_websocket, name="websocket"),
            # What the app hands the browser (the palette's Screenshot), under a random key per file.
            web.get("/download/{key}", self.handle_download, name="download"),
            web.static("/static", self.statics_path, name="static"),
        ])
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        return app

    async def on_startup(self, app: web.Application) -> None:
        self.announce()

    async def on_shutdown(self, app: web.Application) -> None:
        """ctrl+c or SIGTERM: every tab's tutor is told to quit (saving its draft, closing its workers)."""
        for socket in list(self._sockets):
            await socket.close(code=WSCloseCode.GOING_AWAY, message=b"ptref-tutor serve stopped")

    # -- the page -----------------------------------------------------------------------------------
    def _has_token(self, given: str | None) -> bool:
        return given is not None and secrets.compare_digest(given.encode(), self.token.encode())

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        if not self._has_token(request.query.get("token")):
            return web.Response(status=403, text="ptref-tutor: open the address `ptref-tutor serve` printed "
                                                 "(it holds this server's token).\n")
        scheme = "wss" if request.secure else "ws"
        font_size = request.query.get("fontsize", "16")
        context = {
            "font_size": int(font_size) if font_size.isdigit() and 6 <= int(font_size) <= 64 else 16,
            "app_websocket_url": f"{scheme}://{request.host}/ws/{self.token}",
            "config": {"static": {"url": "/static/"}},
            "application": {"name": "ptref-tutor"},
        }
        response = aiohttp_jinja2.render_template("app_index.html", request, context)
        response.headers["Cache-Control"] = "no-store"  # the page holds the token
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    # -- one tab: one tutor -------------------------------------------------------------------------
    def _refusal(self, request: web.Request) -> str | None:
        if not self._has_token(request.match_info.get("token")):
            return "wrong token"
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc.lower() != request.host.lower():
            return f"a page from {origin} may not open a tutor here"
        return None

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        refusal = self._refusal(request)
        if refusal is not None:
            log.warning("refused a connection from %s: %s", request.remote, refusal)
            return web.Response(status=403, text=f"ptref-tutor: {refusal}\n")
        if self._tutors >= self.max_tabs:
            return await self._turn_away(request)
        self._tutors += 1
        log.info("a tab opened (%d tutor(s) running)", self._tutors)
        try:
            return await super().handle_websocket(request)
        finally:
            self._tutors -= 1
            log.info("a tab closed (%d tutor(s) running)", self._tutors)

    async def _turn_away(self, request: web.Request) -> web.StreamResponse:
        """Say why on the page itself, and keep the socket open so the message stays readable."""
        socket = web.WebSocketResponse(heartbeat=15)
        await socket.prepare(request)
        text = (f"\r\n  ptref-tutor: {self._tutors} tabs hold a tutor already, the most this server runs "
                f"(--max-tabs {self.max_tabs}).\r\n  Close one of them, then reload this page.\r\n")
        await socket.send_bytes(text.encode())
        self._sockets.add(socket)
        try:
            async for _ in socket:
                pass
        finally:
            self._sockets.discard(socket)
        return socket

    async def _process_messages(self, websocket: web.WebSocketResponse, app_service) -> None:
        self._sockets.add(websocket)
        try:
            await super()._process_messages(websocket, app_service)
        except (ValueError, AssertionError, KeyError, TypeError):
            # A malformed message (textual-serve asserts on it): end this tab, not the server.
            log.warning("a tab sent a malformed message; its tutor is closed")
        finally:
            self._sockets.discard(websocket)


def serve(server: TutorServer) -> None:
    """Run until ctrl+c or SIGTERM. Raises OSError when the address cannot be bound."""
    asyncio.set_event_loop(asyncio.new_event_loop())  # Server.serve() takes the current loop
    server.serve()
