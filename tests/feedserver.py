"""A feed server on 127.0.0.1 whose every response a test controls, with a request log.

Runs aiohttp in a background thread, so synchronous tests and code that starts its own event
loop (``asyncio.run``) can both talk to it::

    with FeedServer() as server:
        server.route("/feed.xml", body=ATOM, etag='"v1"')
        server.route("/moved", status=301, headers={"Location": "/feed.xml"})
        server.route("/slow", body=ATOM, delay=5)          # answer after 5 s
        server.route("/hang", hang="headers")               # headers, then nothing
        results = fetch_feeds([Branch("b1", "B1", server.url("/feed.xml"))])
        assert server.requests("/feed.xml")[0].headers["User-Agent"].startswith("Tongxin/")

A route answers 304 by itself when the request's ``If-None-Match`` / ``If-Modified-Since``
equal its ``etag`` / ``last_modified`` exactly. Hangs end when the server stops, so a test that
forgets a hanging route still finishes. Every wait is bounded by :data:`MAX_WAIT`.
"""

from __future__ import annotations

import asyncio
import gzip
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

#: No route waits longer than this, whatever a test asks for.
MAX_WAIT = 120.0


@dataclass
class Route:
    """What one path answers. ``hang``: ``None``, ``"headers"`` (after the headers) or
    ``"body"`` (after half the body). ``trickle``: seconds between single bytes.
    ``reset``: close the connection without answering. ``truncate``: announce the full
    length but send only half. ``gzip``: compress ``body`` (``raw=True`` sends ``body`` as is).
    ``handler``: an aiohttp handler that replaces all of the above."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = "application/atom+xml; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0
    hang: str | None = None
    trickle: float | None = None
    reset: bool = False
    truncate: bool = False
    gzip: bool = False
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]] | None = None


@dataclass
class LoggedRequest:
    method: str
    path: str
    headers: dict[str, str]
    time: float


class FeedServer:
    """A controllable HTTP server for feed tests (see module docstring)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        #: any loopback address (127.0.0.2 stands for an intranet host in the SSRF tests)
        self.host = host
        self.routes: dict[str, Route] = {}
        self.log: list[LoggedRequest] = []
        self.port = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()

    # ------------------------------------------------------------------ control

    def route(self, path: str, **options: Any) -> Route:
        """Set (or replace) what ``path`` answers; options are :class:`Route` fields."""
        if isinstance(options.get("body"), str):
            options["body"] = options["body"].encode("utf-8")
        route = Route(**options)
        with self._lock:
            self.routes[path] = route
        return route

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def requests(self, path: str | None = None) -> list[LoggedRequest]:
        with self._lock:
            return [r for r in self.log if path is None or r.path == path]

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FeedServer:
        self._thread = threading.Thread(target=self._run, name="feedserver", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("feed server did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(15)

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        loop.run_until_complete(self._serve())
        loop.close()

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        await self._stopping.wait()
        await self._runner.cleanup()

    # ------------------------------------------------------------------ answering

    async def _wait(self, seconds: float) -> None:
        assert self._stopping is not None
        try:
            await asyncio.wait_for(self._stopping.wait(), min(seconds, MAX_WAIT))
        except TimeoutError:
            pass

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        with self._lock:
            self.log.append(
                LoggedRequest(request.method, request.path, dict(request.headers), time.time())
            )
            route = self.routes.get(request.path)
        if route is None:
            return web.Response(status=404, text="not found")
        if route.handler is not None:
            return await route.handler(request)
        if route.delay:
            await self._wait(route.delay)
        if route.reset:
            if request.transport is not None:
                request.transport.abort()  # RST-like: the client sees the connection drop
            return web.Response(status=500)
        if (route.etag and request.headers.get("If-None-Match") == route.etag) or (
            route.last_modified and request.headers.get("If-Modified-Since") == route.last_modified
        ):
            return web.Response(status=304, headers=self._validators(route))
        body = route.body
        headers = dict(route.headers)
        headers.update(self._validators(route))
        if route.content_type and 200 <= route.status < 300:
            headers.setdefault("Content-Type", route.content_type)
        if route.gzip:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        simple = not (route.hang or route.trickle or route.truncate)
        if simple:
            return web.Response(status=route.status, body=body, headers=headers)
        return await self._misbehave(request, route, body, headers)

    async def _misbehave(
        self, request: web.Request, route: Route, body: bytes, headers: dict[str, str]
    ) -> web.StreamResponse:
        """A response that hangs, trickles or stops half-way, as broken servers do."""
        response = web.StreamResponse(status=route.status, headers=headers)
        response.content_length = len(body)
        await response.prepare(request)
        if route.hang == "headers":
            await self._wait(MAX_WAIT)
            return response
        if route.trickle:
            for index in range(len(body)):
                await response.write(body[index : index + 1])
                await self._wait(route.trickle)
                if self._stopping is not None and self._stopping.is_set():
                    break
            return response
        await response.write(body[: len(body) // 2])
        if route.hang == "body":
            await self._wait(MAX_WAIT)
        if request.transport is not None:
            request.transport.close()  # truncated: the client sees the connection end early
        return response

    @staticmethod
    def _validators(route: Route) -> dict[str, str]:
        headers = {}
        if route.etag:
            headers["ETag"] = route.etag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        return headers
