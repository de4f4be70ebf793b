"""Misbehaving feed servers, one URL per fault, shared by ``scripts/fault-server`` and the tests.

Each :class:`Fault` is an aiohttp handler plus what a federate run must report for a branch
served by it: the health status and a fragment of the (zh-CN) message. Every handler is bounded
in time and size: hangs end after :data:`HANG_SECONDS` (or when the server stops), the 100 MB
body is streamed in chunks and never held in memory, the gzip bomb is compressed on the fly.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape

from aiohttp import web

#: No fault keeps a connection open longer than this.
HANG_SECONDS = 60.0
#: A file the XXE fault points at; its content must never reach the portal.
SECRET_MARKER = "TONGXIN-XXE-SECRET-7f3a"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: Feeds are dated relative to now, so a healthy branch is never "stale" in a test.
NOW = datetime.now(UTC).replace(microsecond=0)


def atom_feed(site_url: str, name: str, items: list[tuple[str, str]], *, days: int = 1) -> bytes:
    """A small valid Atom feed: ``items`` are ``(slug, title)``, newest first."""
    entries = []
    for index, (slug, title) in enumerate(items):
        when = (NOW - timedelta(days=days + index)).isoformat()
        url = f"{site_url}news/{slug}/"
        entries.append(
            f'<entry><id>{url}</id><title>{escape(title)}</title><link href="{url}"/>'
            f"<published>{when}</published><updated>{when}</updated>"
            f'<content type="html">{escape("<p>" + title + "</p>")}</content></entry>'
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f'<id>{site_url}</id><title>{escape(name)}</title><link href="{site_url}"/>'
        f"<updated>{NOW.isoformat()}</updated>{''.join(entries)}</feed>"
    ).encode()


def gbk_feed(site_url: str, *, declare: str | None) -> bytes:
    """An RSS feed in GBK, declaring ``declare`` (or nothing): Chinese sites do both."""
    declaration = f' encoding="{declare}"' if declare else ""
    text = (
        f'<?xml version="1.0"{declaration}?><rss version="2.0"><channel><title>南湖</title>'
        f"<link>{site_url}</link><item><title>南湖社区编码测试</title>"
        f"<link>{site_url}news/gbk/</link><guid>{site_url}news/gbk/</guid>"
        "<description>中文内容</description></item></channel></rss>"
    )
    return text.encode("gbk")


# --------------------------------------------------------------------------- handlers


async def _sleep(seconds: float) -> None:
    await asyncio.sleep(min(seconds, HANG_SECONDS))


def _static(body: bytes, status: int = 200, content_type: str = "application/atom+xml",
            headers: dict[str, str] | None = None) -> Handler:  # fmt: skip
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, body=body, headers={"Content-Type": content_type,
                                                               **(headers or {})})  # fmt: skip

    return handler


async def slow_trickle(request: web.Request) -> web.StreamResponse:
    """One byte every half second: each read succeeds, only a total timeout stops it."""
    response = web.StreamResponse(headers={"Content-Type": "application/atom+xml"})
    await response.prepare(request)
    body = atom_feed("http://127.0.0.1/", "slow", [("s", "slow")])
    for index in range(int(HANG_SECONDS * 2)):
        await response.write(body[index % len(body) : index % len(body) + 1])
        await asyncio.sleep(0.5)
    return response


async def hang_after_headers(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/atom+xml"})
    response.content_length = 5000
    await response.prepare(request)
    await _sleep(HANG_SECONDS)
    return response


async def hang_mid_body(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/atom+xml"})
    response.content_length = 5000
    await response.prepare(request)
    await response.write(b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">')
    await _sleep(HANG_SECONDS)
    return response


async def connection_reset(request: web.Request) -> web.StreamResponse:
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            import socket
            import struct

            # SO_LINGER 0: close() sends RST instead of FIN.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.close()
    await asyncio.sleep(0.1)
    return web.Response(status=200)


async def truncated_body(request: web.Request) -> web.StreamResponse:
    body = atom_feed("http://127.0.0.1/", "truncated", [("t", "truncated")])
    response = web.StreamResponse(headers={"Content-Type": "application/atom+xml"})
    response.content_length = len(body)
    await response.prepare(request)
    await response.write(body[: len(body) // 2])
    if request.transport is not None:
        request.transport.close()
    return response


async def huge_body(request: web.Request) -> web.StreamResponse:
    """100 MB, streamed in 64 KB chunks (never built in memory), no Content-Length."""
    response = web.StreamResponse(headers={"Content-Type": "application/atom+xml"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    chunk = b"<!-- padding -->" * 4096
    sent = 0
    try:
        while sent < 100 * 1024 * 1024:
            await response.write(chunk)
            sent += len(chunk)
    except (ConnectionResetError, ConnectionError):
        pass  # the client gave up at its size cap, as it should
    return response


async def gzip_bomb(request: web.Request) -> web.StreamResponse:
    """~1 GB of zeros gzip-compressed to ~1 MB, compressed on the fly."""
    response = web.StreamResponse(
        headers={"Content-Type": "application/atom+xml", "Content-Encoding": "gzip"}
    )
    await response.prepare(request)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"\0" * (1024 * 1024)
    try:
        for _ in range(1024):
            data = compressor.compress(zeros)
            if data:
                await response.write(data)
        await response.write(compressor.flush())
    except (ConnectionResetError, ConnectionError):
        pass
    return response


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<feed xmlns="http://www.w3.org/2005/Atom"><id>x</id><title>&lol9;</title>
<entry><id>http://127.0.0.1/lol</id><title>&lol9;</title></entry></feed>"""


def xxe_feed(secret_path: str) -> bytes:
    return f"""<?xml version="1.0"?>
<!DOCTYPE feed [ <!ENTITY xxe SYSTEM "file://{secret_path}"> ]>
<feed xmlns="http://www.w3.org/2005/Atom"><id>x</id><title>xxe</title>
<entry><id>http://127.0.0.1/xxe</id><title>&xxe;</title><link href="http://127.0.0.1/xxe"/>
<content type="html">&xxe;</content></entry></feed>""".encode()


MALFORMED = b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><<title>>\x00</feed"
HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>维护中</title></head><body><h1>网站维护中</h1></body></html>"
).encode()


def redirect_to(location: str, status: int = 302) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, headers={"Location": location})

    return handler


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Fault:
    """One misbehaviour and what the portal must say about it."""

    name: str
    description: str
    status: str  # the branch's health status after a run
    message: str  # a fragment of its zh-CN error ("" when there must be none)
    slow: bool = False  # costs a timeout at the default limits


def faults_table() -> list[Fault]:
    return [
        Fault("slow-trickle", "one byte every 0.5 s", "error", "超时", slow=True),
        Fault("hang-headers", "headers, then nothing", "error", "超时", slow=True),
        Fault("hang-body", "half a body, then nothing", "error", "超时", slow=True),
        Fault("reset", "TCP reset instead of an answer", "error", "连接中断或响应无效"),
        Fault(
            "truncated", "Content-Length promises more than is sent", "error", "连接中断或响应无效"
        ),
        Fault("huge", "a 100 MB body, streamed", "error", "响应太大"),
        Fault("gzip-bomb", "1 GB of zeros gzip-compressed", "error", "解压后太大"),
        Fault("billion-laughs", "nested XML entities", "error", "实体声明"),
        Fault("xxe", "an external entity naming a local file", "error", "实体声明"),
        Fault("malformed", "not well-formed XML, no entries", "error", "无法"),
        Fault("gbk-declared-utf8", "GBK bytes declared as UTF-8", "ok", ""),
        Fault("gbk-undeclared", "GBK bytes, no declaration, no charset", "ok", ""),
        Fault("html", "an HTML page instead of a feed", "error", "网页"),
        Fault("empty", "200 with an empty body", "error", "为空"),
        Fault("redirect-loop", "a redirects to b redirects to a", "error", "重定向循环"),
        Fault("redirect-file", "a redirect to file:///etc/passwd", "error", "非 http"),
        Fault("redirect-ftp", "a redirect to ftp://", "error", "非 http"),
        Fault("404", "not found", "error", "HTTP 404"),
        Fault("410", "gone for good", "gone", "410"),
        Fault("429", "too many requests, Retry-After: 3600", "error", "3600"),
        Fault("500", "server error", "error", "HTTP 500"),
        Fault("vanished", "a valid feed whose entries all vanished", "ok", ""),
    ]


FAULTS = {fault.name: fault for fault in faults_table()}


def fault_handler(name: str, base_url: str, *, secret_path: str = "/etc/hostname") -> Handler:
    """The aiohttp handler for fault ``name``; ``base_url`` is the server's own address."""
    empty_feed = atom_feed(base_url + "/", "vanished", [])
    handlers: dict[str, Handler] = {
        "slow-trickle": slow_trickle,
        "hang-headers": hang_after_headers,
        "hang-body": hang_mid_body,
        "reset": connection_reset,
        "truncated": truncated_body,
        "huge": huge_body,
        "gzip-bomb": gzip_bomb,
        "billion-laughs": _static(BILLION_LAUGHS),
        "xxe": _static(xxe_feed(secret_path)),
        "malformed": _static(MALFORMED),
        "gbk-declared-utf8": _static(gbk_feed(f"{base_url}/site/{name}/", declare="utf-8"),
                                     content_type="application/rss+xml"),
        "gbk-undeclared": _static(gbk_feed(f"{base_url}/site/{name}/", declare=None),
                                  content_type="application/rss+xml"),
        "html": _static(HTML_PAGE, content_type="text/html; charset=utf-8"),
        "empty": _static(b""),
        "redirect-loop": redirect_to("/fault/redirect-loop-b"),
        "redirect-loop-b": redirect_to("/fault/redirect-loop"),
        "redirect-file": redirect_to("file:///etc/passwd"),
        "redirect-ftp": redirect_to("ftp://127.0.0.1/feed.xml"),
        "404": _static(b"not found", 404, "text/plain"),
        "410": _static(b"gone", 410, "text/plain"),
        "429": _static(b"slow down", 429, "text/plain", {"Retry-After": "3600"}),
        "500": _static(b"boom", 500, "text/plain"),
        "vanished": _static(empty_feed),
    }  # fmt: skip
    return handlers[name]


def fault_names() -> list[str]:
    """Every path under ``/fault/`` (the redirect loop needs its second leg)."""
    return [fault.name for fault in faults_table()] + ["redirect-loop-b"]


def make_app(base_url: str, *, secret_path: str = "/etc/hostname") -> web.Application:
    """An app serving ``/fault/<name>`` for every fault and ``/ok/feed.xml`` healthy."""
    app = web.Application()
    for name in fault_names():
        app.router.add_get(f"/fault/{name}", fault_handler(name, base_url, secret_path=secret_path))
    healthy = atom_feed(base_url + "/ok/", "健康分支", [("one", "健康分支新闻")])
    app.router.add_get("/ok/feed.xml", _static(healthy))
    return app
