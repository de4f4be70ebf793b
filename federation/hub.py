"""Push: WebSub-style publish pings from branches, so a portal fetches a new post in seconds.

- ``tongxin ping HUB --feed FEED`` (a branch's CI, after deploying) POSTs
  ``hub.mode=publish&hub.url=FEED`` to the portal's hub (W3C WebSub, "publish" notification).
- ``tongxin hub REGISTRY --spool DIR`` is the receiver: it accepts a ping only for a feed URL
  the registry lists, at most one per branch per ``min_interval`` seconds, and writes one
  file per pinged branch into the spool. It never builds: ``tongxin federate --pinged DIR``
  (a systemd path unit on the spool, or a one-minute cron) fetches just those branches,
  publishes, and pings its own parent's hub.
"""

from __future__ import annotations

import http.server
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from .model import Registry

#: Largest ping body read (a form with one URL).
MAX_BODY = 4096


def feed_url_of(registry: Registry) -> str:
    """The portal's own feed, as the portal above lists it."""
    return registry.url.rstrip("/") + "/feeds/all.atom.xml"


def ping(hub: str, feed: str, *, timeout: float = 15.0, user_agent: str = "Tongxin") -> int:
    """POST a publish notification; the hub's HTTP status (0: no answer)."""
    data = urllib.parse.urlencode({"hub.mode": "publish", "hub.url": feed}).encode()
    request = urllib.request.Request(
        hub,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": user_agent,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError, ValueError):
        return 0


# ------------------------------------------------------------------ the spool


def write_ping(spool: Path, branch_id: str, now: float | None = None) -> None:
    """Mark ``branch_id`` as pinged (atomically: a reader never sees half a file)."""
    spool.mkdir(parents=True, exist_ok=True)
    tmp = spool / f".{branch_id}.{os.getpid()}.{threading.get_ident()}.tmp"
    tmp.write_text(f"{now or time.time():.3f}\n", encoding="ascii")
    os.replace(tmp, spool / branch_id)


def take_pinged(spool: Path) -> set[str]:
    """The branches pinged since the last call, removing their marks (a ping arriving
    while the run goes on leaves a new mark for the next run)."""
    if not spool.is_dir():
        return set()
    taken = set()
    for path in spool.iterdir():
        if path.name.startswith(".") or not path.is_file():
            continue
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        taken.add(path.name)
    return taken


# ------------------------------------------------------------------ the receiver


class Hub:
    """Which feeds may ping, and how often (``clock``: seconds, monotonic, for tests)."""

    def __init__(
        self,
        registry: Registry,
        spool: Path,
        *,
        min_interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.by_feed = {_normal(b.feed): b.id for b in registry.branches}
        self.spool = spool
        self.min_interval = min_interval
        self.clock = clock
        self.last: dict[str, float] = {}
        self.lock = threading.Lock()

    def receive(self, body: bytes) -> tuple[int, str, float | None]:
        """(HTTP status, message, Retry-After seconds) for one POSTed form."""
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        mode, url = form.get("hub.mode", [""])[0], form.get("hub.url", [""])[0]
        if mode != "publish" or not url:
            return 400, "expected hub.mode=publish and hub.url", None
        branch_id = self.by_feed.get(_normal(url))
        if branch_id is None:
            return 403, "feed not registered", None
        with self.lock:
            now = self.clock()
            last = self.last.get(branch_id)
            if last is not None and now - last < self.min_interval:
                return 429, "too many pings", self.min_interval - (now - last)
            self.last[branch_id] = now
        write_ping(self.spool, branch_id)
        return 202, "accepted", None


def _normal(url: str) -> str:
    parts = urllib.parse.urlsplit(url.strip())
    return urllib.parse.urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, "")
    )


def make_server(hub: Hub, host: str, port: int) -> http.server.ThreadingHTTPServer:
    """The receiver as an HTTP server (stdlib; put nginx in front for TLS)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "TongxinHub"

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._answer(413, "too large", None)
                return
            status, message, retry = hub.receive(self.rfile.read(length))
            self._answer(status, message, retry)

        def do_GET(self) -> None:  # noqa: N802
            self._answer(405, "POST a publish notification", None)

        def _answer(self, status: int, message: str, retry: float | None) -> None:
            body = (message + "\n").encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            if retry is not None:
                self.send_header("Retry-After", str(max(1, int(retry + 0.999))))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return http.server.ThreadingHTTPServer((host, port), Handler)
