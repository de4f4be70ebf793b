"""Fetch every branch's feed concurrently, politely, and without ever trusting the server.

One aiohttp session; a global concurrency bound plus a per-host bound (the connector's
``limit_per_host``, so a county hosting 200 branch sites on one server sees at most ``per_host``
connections from us). Conditional GET sends ``If-None-Match`` / ``If-Modified-Since`` exactly as
the server last sent them. Redirects are followed by hand (at most :data:`MAX_REDIRECTS`, http
and https only, loops detected) so a permanent move can be remembered. Bodies are capped before
*and* after decompression (a 10 KB gzip bomb must not become 10 GB), and the whole fetch of one
branch is bounded by a total timeout, so a server that hangs costs seconds, not the run.

Every failure becomes a :class:`FetchResult` with a readable ``error``: no exception escapes
:func:`fetch_all`, so one broken branch never stops the others.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import aiohttp

from tongxin.i18n import translate
from tongxin.signing import SIGNATURE_SUFFIX, verify_signature_text

from .model import Branch, FetchResult
from .netguard import BlockedAddress, GuardedResolver, NetworkPolicy

if TYPE_CHECKING:
    from .store import BranchState

MAX_REDIRECTS = 5
MAX_BYTES = 10 * 1024 * 1024
MAX_SIGNATURE_BYTES = 4096
#: A server asking us to stay away longer than this is asked again after a week.
MAX_RETRY_AFTER = 7 * 24 * 3600.0
_REDIRECTS = (301, 302, 303, 307, 308)
_PERMANENT = (301, 308)
_CHUNK = 64 * 1024

Progress = Callable[[int, int, FetchResult], None]


def user_agent(portal_url: str | None = None) -> str:
    """``Tongxin/<version> (+portal url)``: operators of branch sites can see who we are."""
    try:
        version = importlib.metadata.version("tongxin")
    except importlib.metadata.PackageNotFoundError:
        version = "0"
    contact = portal_url or "https://pypi.org/project/tongxin/"
    return f"Tongxin/{version} (+{contact})"


@dataclass(frozen=True)
class Limits:
    """Timeouts (seconds) and size caps (bytes) for one run."""

    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_bytes: int = MAX_BYTES
    max_decoded_bytes: int = MAX_BYTES
    #: which addresses may be reached (public ones plus the registry's ``allow_networks``)
    policy: NetworkPolicy = field(default_factory=NetworkPolicy)
    #: the portal's language, for the error classes shown on the public health page
    language: str | None = None


class FetchError(Exception):
    """A fetch failed; the message is ready for the health page."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _t(key: str, **values: object) -> str:
    return translate(None, f"federation.fetch.{key}", **values)


def _now() -> datetime:
    return datetime.now(UTC)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or _now())).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


class _Decoder:
    """Streaming Content-Encoding decoder that stops at a decompressed-size cap."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.encoding = encoding
        self.limit = limit
        self.size = 0
        self.parts: list[bytes] = []
        self.zlib: Any
        if encoding in ("gzip", "x-gzip"):
            self.zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self.zlib = zlib.decompressobj()  # zlib wrapper; raw deflate handled on error
        else:
            self.zlib = None
        self.raw_deflate_tried = False

    def feed(self, chunk: bytes) -> None:
        if self.zlib is None:
            self._add(chunk)
            return
        try:
            data = chunk
            while data:
                out = self.zlib.decompress(data, self.limit - self.size + 1)
                self._add(out)
                data = self.zlib.unconsumed_tail
                if not out and not data:
                    break
        except zlib.error as error:
            if self.encoding == "deflate" and not self.raw_deflate_tried and self.size == 0:
                # Some servers send raw deflate despite RFC 9110's zlib wrapper.
                self.raw_deflate_tried = True
                self.zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                self.feed(chunk)
                return
            raise FetchError(_t("bad_encoding", encoding=self.encoding, error=error)) from error

    def _add(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise FetchError(_t("too_large_decoded", limit=self.limit))
        if data:
            self.parts.append(data)

    def finish(self) -> bytes:
        if self.zlib is not None:
            self._add(self.zlib.flush())
        return b"".join(self.parts)


async def _read_body(response: aiohttp.ClientResponse, limits: Limits, cap: int) -> bytes:
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > cap:
        raise FetchError(_t("too_large", limit=cap), response.status)
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    decoded_cap = limits.max_decoded_bytes if cap >= limits.max_bytes else cap
    decoder = _Decoder(encoding, decoded_cap)
    received = 0
    async for chunk in response.content.iter_chunked(_CHUNK):
        received += len(chunk)
        if received > cap:
            raise FetchError(_t("too_large", limit=cap), response.status)
        decoder.feed(chunk)
    return decoder.finish()


def _check_url(url: str, policy: NetworkPolicy) -> None:
    try:
        parts = urlsplit(url)
    except ValueError as error:
        raise FetchError(_t("bad_url", url=url)) from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(_t("bad_url", url=url))
    policy.check_host(parts.hostname)


async def _get(
    session: aiohttp.ClientSession,
    url: str,
    headers: dict[str, str],
    limits: Limits,
    result: FetchResult,
    cap: int,
) -> bytes | None:
    """GET ``url`` following redirects by hand; fill ``result``; return the body (None on 304)."""
    _check_url(url, limits.policy)
    seen = {url}
    permanent = True
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        async with session.get(current, headers=headers, allow_redirects=False) as response:
            status = response.status
            result.status = status
            if status in _REDIRECTS:
                location = response.headers.get("Location")
                if not location:
                    raise FetchError(_t("redirect_no_location"), status)
                target = urljoin(current, location.strip())
                if urlsplit(target).scheme not in ("http", "https"):
                    raise FetchError(_t("redirect_scheme", url=target[:200]), status)
                if target in seen:
                    raise FetchError(_t("redirect_loop", url=target[:200]), status)
                seen.add(target)
                _check_url(target, limits.policy)
                permanent = permanent and status in _PERMANENT
                current = target
                continue
            result.final_url = current
            result.headers = {k.lower(): v for k, v in response.headers.items()}
            if permanent and current != url:
                result.permanent_redirect = current
            if status == 304:
                result.not_modified = True
                result.etag = response.headers.get("ETag")
                result.last_modified = response.headers.get("Last-Modified")
                return None
            if status == 410:
                raise FetchError(_t("gone"), status)
            if status in (429, 503):
                wait = parse_retry_after(response.headers.get("Retry-After"))
                result.retry_after = wait
                if wait is not None:
                    raise FetchError(_t("retry_after", status=status, seconds=round(wait)), status)
                raise FetchError(_t("http_status", status=status), status)
            if not 200 <= status < 300:
                raise FetchError(_t("http_status", status=status), status)
            body = await _read_body(response, limits, cap)
            result.etag = response.headers.get("ETag")
            result.last_modified = response.headers.get("Last-Modified")
            return body
    raise FetchError(_t("too_many_redirects", limit=MAX_REDIRECTS), result.status)


def read_json_documents(
    urls: dict[str, str],
    *,
    allow_networks: Iterable[str],
    user_agent: str,
    max_bytes: int,
    timeout: float,
) -> dict[str, Any]:
    """``key -> parsed JSON`` (None when unreadable) for each ``key -> url``: the small JSON
    files a portal reads beside the feeds (a lower portal's health.json, a branch's
    api/index.json), fetched as the feeds are (:func:`_get`: the address policy on every
    redirect hop, the size caps), so they open no way around it."""
    if not urls:
        return {}
    limits = Limits(
        total_timeout=timeout,
        max_bytes=max_bytes,
        max_decoded_bytes=max_bytes,
        policy=NetworkPolicy(allow_networks),
    )
    return asyncio.run(_read_json_all(urls, limits, user_agent))


async def _read_json_all(urls: dict[str, str], limits: Limits, agent: str) -> dict[str, Any]:
    policy = limits.policy
    connector = aiohttp.TCPConnector(
        limit=8, resolver=GuardedResolver(policy), socket_factory=policy.socket_factory
    )
    session = aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=limits.total_timeout),
        headers={"User-Agent": agent},
    )
    async with session:
        answers = await asyncio.gather(*(_read_json(session, url, limits) for url in urls.values()))
    return dict(zip(urls, answers, strict=True))


async def _read_json(session: aiohttp.ClientSession, url: str, limits: Limits) -> Any:
    try:
        body = await _get(session, url, {}, limits, FetchResult("-", url), limits.max_bytes)
        return None if body is None else json.loads(body)
    except (FetchError, BlockedAddress, aiohttp.ClientError, TimeoutError, ValueError, OSError):
        return None


def failure_class(error: BaseException, limits: Limits) -> tuple[str, str]:
    """(public text, operator detail) for a failed connection.

    The public health page names only the class of failure, in the portal's language: which
    port is closed, which address answered or what the peer said would make the health page a
    port scanner. The detail (with addresses and ports) is for the operator's log and CLI.
    """
    detail = f"{type(error).__name__}: {error}"
    os_error = getattr(error, "os_error", None)
    if isinstance(error, BlockedAddress) or isinstance(os_error, BlockedAddress):
        key = "blocked"
    elif isinstance(error, TimeoutError):
        key = "timeout"
        seconds = limits.total_timeout
        if isinstance(error, aiohttp.ConnectionTimeoutError):
            seconds = limits.connect_timeout
        elif isinstance(error, aiohttp.SocketTimeoutError):
            seconds = limits.read_timeout
        return translate(limits.language, "federation.fetch.timeout", seconds=seconds), detail
    elif isinstance(error, aiohttp.ClientConnectorDNSError):
        key = "dns"
    elif isinstance(error, aiohttp.ClientSSLError):
        key = "tls"
    elif isinstance(error, aiohttp.ClientConnectorError):
        key = "unreachable"
    elif isinstance(error, aiohttp.ClientError | OSError | ValueError | UnicodeError):
        key = "broken"
    else:
        key = "internal"
    return translate(limits.language, f"federation.fetch.{key}"), detail


def verify_signature(result: FetchResult, branch: Branch) -> str | None:
    """The error message when ``branch`` requires a signature that ``result`` lacks or fails."""
    if not branch.requires_signature or result.body is None:
        return None
    if result.signature is None:
        return _t("signature_missing", url=(result.final_url or result.url) + SIGNATURE_SUFFIX,
                  error="-")  # fmt: skip
    try:
        signature = result.signature.decode("ascii")
    except UnicodeDecodeError:
        return _t("signature_invalid")
    valid, result.signed_seq = verify_signature_text(result.body, signature, branch.public_keys)
    if not valid:
        return _t("signature_invalid")
    return None


def _start(branch: Branch, state: BranchState | None) -> tuple[str, dict[str, str]]:
    """Where to fetch and which validators to send: a 301 target only while the registry
    still names the same original feed (an operator's edit wins over a remembered move)."""
    if state is None:
        return branch.feed, {}
    registry_feed = getattr(state, "registry_feed", None)
    url = branch.feed
    if state.feed_url and (registry_feed in (None, branch.feed)):
        url = state.feed_url
    headers: dict[str, str] = {}
    if url == state.feed_url:
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
    return url, headers


async def _fetch_signature(
    session: aiohttp.ClientSession, branch: Branch, result: FetchResult, limits: Limits
) -> None:
    """The body's detached signature, checked; a missing or bad one drops the body."""
    sig_url = (result.final_url or result.url) + SIGNATURE_SUFFIX
    probe = FetchResult(branch_id=branch.id, url=sig_url)
    try:
        result.signature = await _get(session, sig_url, {}, limits, probe, MAX_SIGNATURE_BYTES)
    except FetchError as error:
        result.error = _t("signature_missing", url=sig_url, error=error)
        result.body = None
        return
    problem = verify_signature(result, branch)
    if problem:
        result.error = problem
        result.body = None


async def fetch_one(
    session: aiohttp.ClientSession,
    branch: Branch,
    state: BranchState | None,
    limits: Limits,
    now: datetime | None = None,
) -> FetchResult:
    """One branch's conditional GET (plus its signature when required); never raises."""
    url, headers = _start(branch, state)
    result = FetchResult(branch_id=branch.id, url=url)
    started = time.monotonic()
    not_before = getattr(state, "retry_not_before", None) if state is not None else None
    if not_before:
        try:
            waiting = datetime.fromisoformat(not_before) > (now or _now())
        except ValueError:
            waiting = False
        if waiting:
            result.skipped_until = not_before
            result.not_modified = True
            return result
    try:
        async with asyncio.timeout(limits.total_timeout):
            result.body = await _get(session, url, headers, limits, result, limits.max_bytes)
            if result.body is not None and branch.requires_signature:
                await _fetch_signature(session, branch, result, limits)
    except FetchError as error:
        result.error = str(error)
        result.body = None
    except Exception as error:  # noqa: BLE001 - one branch must never stop the run
        result.error, result.detail = failure_class(error, limits)
        result.body = None
    result.elapsed = time.monotonic() - started
    return result


async def fetch_all(
    branches: Sequence[Branch],
    states: dict[str, BranchState | None] | None = None,
    *,
    concurrency: int = 64,
    per_host: int = 8,
    connect_timeout: float = 10.0,
    read_timeout: float = 20.0,
    total_timeout: float = 60.0,
    max_bytes: int = MAX_BYTES,
    max_decoded_bytes: int | None = None,
    user_agent: str | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
    allow_networks: Sequence[str] = (),
    language: str | None = None,
) -> list[FetchResult]:
    """Fetch every branch's feed; results come back in the order of ``branches``.

    Only public addresses are reached, plus the CIDRs and host names in ``allow_networks``
    (the registry's key of that name; see :mod:`.netguard`).
    """
    states = states or {}
    policy = NetworkPolicy(allow_networks)
    limits = Limits(
        policy=policy,
        language=language,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        total_timeout=total_timeout,
        max_bytes=max_bytes,
        max_decoded_bytes=max_decoded_bytes or max_bytes,
    )
    timeout = aiohttp.ClientTimeout(
        total=None, connect=connect_timeout, sock_connect=connect_timeout, sock_read=read_timeout
    )
    connector = aiohttp.TCPConnector(
        limit=concurrency,
        limit_per_host=per_host,
        ttl_dns_cache=300,
        enable_cleanup_closed=True,
        resolver=GuardedResolver(policy),
        socket_factory=policy.socket_factory,
    )
    headers = {
        "User-Agent": user_agent or _default_agent(),
        "Accept": "application/atom+xml, application/rss+xml, application/feed+json, "
        "application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5",
        "Accept-Encoding": "gzip, deflate",
    }
    gate = asyncio.Semaphore(max(1, concurrency))
    done = 0
    total = len(branches)

    async def run(session: aiohttp.ClientSession, branch: Branch) -> FetchResult:
        nonlocal done
        async with gate:
            result = await fetch_one(session, branch, states.get(branch.id), limits, now)
        done += 1
        if progress is not None:
            try:
                progress(done, total, result)
            except Exception:  # noqa: BLE001 - a progress bar must not break a fetch
                pass
        return result

    async with aiohttp.ClientSession(
        connector=connector,
        timeout=timeout,
        headers=headers,
        auto_decompress=False,
        trust_env=False,
        cookie_jar=aiohttp.DummyCookieJar(),
    ) as session:
        return list(await asyncio.gather(*(run(session, b) for b in branches)))


def _default_agent() -> str:
    return user_agent()


def fetch_feeds(
    branches: Sequence[Branch],
    states: dict[str, BranchState | None] | None = None,
    **options: object,
) -> list[FetchResult]:
    """Synchronous :func:`fetch_all` for callers without an event loop."""
    return asyncio.run(fetch_all(branches, states, **options))  # type: ignore[arg-type]
