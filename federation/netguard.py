"""Outbound requests go to public addresses only, unless the registry opens a range.

A hostile branch can answer with a redirect to ``127.0.0.1``, name a host that resolves to
``10.0.0.5`` or change its DNS answer between two lookups (DNS rebinding). The check therefore
sits where the socket is made: aiohttp's connector hands every address it is about to connect
to (first request and every redirect alike) to :meth:`NetworkPolicy.socket_factory`, which
refuses one that is not public and not opened by the registry's ``allow_networks:``. The
resolver (:class:`GuardedResolver`) drops such answers earlier, so a refused name fails with a
clear reason instead of a connection error, and URLs whose host is an address literal are
checked before any request (:meth:`NetworkPolicy.check_host`).

``allow_networks`` holds CIDRs (``10.0.0.0/8``, ``127.0.0.1``, ``::1``) and host names
(``intranet.example``); a listed host name may resolve to any address.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class BlockedAddress(OSError):
    """A connection to a non-public address that the registry does not allow."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"refused non-public address {address} (host {host})")
        self.host = host
        self.address = address


def parse_network(text: str) -> Network | None:
    """``text`` as a network (an address is a /32 or /128), or None for a host name."""
    try:
        return ipaddress.ip_network(text.strip().strip("[]"), strict=False)
    except ValueError:
        return None


def _unwrap(address: Address) -> Address:
    """The IPv4 address inside an IPv4-mapped, 6to4 or Teredo IPv6 address."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if inner is not None:
            return inner
        if address.teredo is not None:
            return address.teredo[1]
    return address


def is_public(address: Address) -> bool:
    """Globally routable unicast: no loopback, private, link-local, CGNAT, multicast, reserved."""
    inner = _unwrap(address)
    return inner.is_global and not inner.is_multicast and address.is_global


class NetworkPolicy:
    """Which addresses outbound requests may reach: public ones plus the allowed ranges."""

    def __init__(self, allow: Iterable[str] = ()) -> None:
        self.networks: list[Network] = []
        self.hosts: set[str] = set()
        for item in allow:
            network = parse_network(item)
            if network is not None:
                self.networks.append(network)
            elif item.strip():
                self.hosts.add(item.strip().rstrip(".").lower())
        self.resolved: set[Address] = set()  # addresses of allowed host names

    def allows(self, address: Address | str, host: str | None = None) -> bool:
        if isinstance(address, str):
            try:
                address = ipaddress.ip_address(address.split("%", 1)[0])
            except ValueError:
                return False
        if host is not None and host.rstrip(".").lower() in self.hosts:
            return True
        if is_public(address):
            return True
        inner = _unwrap(address)
        return any(inner in n or address in n for n in self.networks)

    def check_host(self, host: str) -> None:
        """Refuse a URL whose host is a non-public address literal before any request.

        The same check for the first URL and every redirect hop: an address a listed host
        name resolved to opens that name only, never the literal (``allow_networks:
        [cms.intranet]`` must not let a redirect reach ``http://10.0.0.5:6379/``)."""
        try:
            address = ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
        except ValueError:
            return
        if not self.allows(address):
            raise BlockedAddress(host, str(address))

    def socket_factory(self, addr_info: Any) -> socket.socket:
        """aiohttp's ``socket_factory``: the last check, on the address actually connected."""
        family, type_, proto, _, sockaddr = addr_info
        address = str(sockaddr[0])
        if not self.allows(address) and not self._resolved_for_a_name(address):
            raise BlockedAddress("-", str(sockaddr[0]))
        return socket.socket(family=family, type=type_, proto=proto)

    def _resolved_for_a_name(self, address: str) -> bool:
        """Whether ``address`` came from resolving a listed host name (only names reach the
        connector through the resolver; literals are checked by :meth:`check_host`)."""
        try:
            return ipaddress.ip_address(address.split("%", 1)[0]) in self.resolved
        except ValueError:
            return False


class GuardedResolver(AbstractResolver):
    """The system resolver, keeping only the answers the policy allows."""

    def __init__(self, policy: NetworkPolicy) -> None:
        self.policy = policy
        self.inner = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await self.inner.resolve(host, port, family)
        if host.rstrip(".").lower() in self.policy.hosts:
            for answer in answers:
                self.policy.resolved.add(ipaddress.ip_address(answer["host"].split("%", 1)[0]))
            return answers
        kept = [a for a in answers if self.policy.allows(a["host"])]
        if not kept:
            raise BlockedAddress(host, answers[0]["host"] if answers else "-")
        return kept

    async def close(self) -> None:
        await self.inner.close()
