"""HTTP to addresses customers and partners give us (webhook URLs, push endpoints), safely.

A URL is checked after DNS resolution: every address its host resolves to must be public (not
private, loopback, link-local, shared, reserved or multicast, and not a cloud metadata
address; IPv4-mapped IPv6 is unwrapped first). The connection then goes to the checked address
itself (TLS still verifies the host name), so a DNS answer that changes between the check and
the connection (rebinding) cannot move it inward. Redirects are not followed. Only HTTPS, but
for the exact host:port pairs a deployment trusts (the local platform's receivers, `allow`).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import urllib3

# Instance metadata and credential endpoints of the clouds (AWS IMDS over IPv4 and IPv6, ECS task
# credentials); most are link-local already, listed so the rule does not rest on that alone.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",
        "169.254.170.2",
        "169.254.170.23",
        "fd00:ec2::254",
        "fd00:ec2::23",
        "100.100.100.200",
    )
)
MAX_ANSWER_BYTES = 64 * 1024

Resolver = Callable[..., list[tuple[Any, ...]]]
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeDestination(Exception):
    """The URL is not one we may call (scheme, or an address that is not public): not retried."""


class EgressUnavailable(Exception):
    """The destination could not be reached: nothing was sent."""


class EgressOutcomeUnknown(Exception):
    """The request left but no answer came back (a timeout, a reset): it may have been taken."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked address the connection goes to


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes


def is_public(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast and address not in METADATA_ADDRESSES


class Egress:
    def __init__(
        self,
        allow: frozenset[str] = frozenset(),
        resolver: Resolver = socket.getaddrinfo,
        timeout_seconds: float = 10.0,
    ):
        """allow: host:port pairs reachable even when not public, over HTTP too (local receivers only)."""
        self._allow = allow
        self._resolve = resolver
        self._timeout = timeout_seconds
        self._pools: dict[tuple[str, str, int, str], urllib3.HTTPConnectionPool] = {}

    def target(self, url: str) -> Target:
        """The URL's host resolved and checked; raises UnsafeDestination."""
        parts = urlsplit(url)
        if parts.username or parts.password:
            raise UnsafeDestination("URLs with credentials are not called")
        host = (parts.hostname or "").rstrip(".").lower()
        if not host:
            raise UnsafeDestination(f"no host in {url!r}")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise UnsafeDestination(f"bad port in {url!r}") from exc
        allowed = f"{host}:{port}" in self._allow
        if parts.scheme != "https" and not (allowed and parts.scheme == "http"):
            raise UnsafeDestination(f"only https URLs are called, not {parts.scheme or 'none'}://")
        addresses = self._addresses(host, port)
        unsafe = [str(a) for a in addresses if not is_public(a)]
        if unsafe and not allowed:
            raise UnsafeDestination(f"{host} resolves to a non-public address ({', '.join(unsafe)})")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return Target(parts.scheme, host, port, path, str(addresses[0]))

    def _addresses(self, host: str, port: int) -> list[IpAddress]:
        try:
            infos = self._resolve(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise EgressUnavailable(f"{host} does not resolve: {exc}") from exc
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))
        if not addresses:
            raise EgressUnavailable(f"{host} resolves to nothing")
        return addresses

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        """POST to the checked address; raises UnsafeDestination, EgressUnavailable or EgressOutcomeUnknown."""
        target = self.target(url)
        pool = self._pool(target)
        try:
            response = pool.urlopen(
                "POST",
                target.path,
                body=body,
                headers={**headers, "Host": _host_header(target)},
                redirect=False,
                retries=False,
                preload_content=False,
                assert_same_host=False,
            )
        except (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError) as exc:
            raise EgressUnavailable(f"{target.host}: {exc}") from exc
        except urllib3.exceptions.SSLError as exc:
            raise EgressUnavailable(f"{target.host}: TLS: {exc}") from exc
        except urllib3.exceptions.HTTPError as exc:
            raise EgressOutcomeUnknown(f"{target.host}: {exc}") from exc
        try:
            data = response.read(MAX_ANSWER_BYTES, decode_content=False)
        except urllib3.exceptions.HTTPError:
            data = b""
        finally:
            response.release_conn()
        return Answer(response.status, dict(response.headers), data)

    def _pool(self, target: Target) -> urllib3.HTTPConnectionPool:
        key = (target.scheme, target.address, target.port, target.host)
        if key not in self._pools:
            timeout = urllib3.Timeout(connect=min(5.0, self._timeout), read=self._timeout)
            if target.scheme == "https":
                self._pools[key] = urllib3.HTTPSConnectionPool(
                    target.address,
                    target.port,
                    timeout=timeout,
                    maxsize=2,
                    server_hostname=target.host,
                    assert_hostname=target.host,
                    ssl_context=ssl.create_default_context(),
                )
            else:
                self._pools[key] = urllib3.HTTPConnectionPool(
                    target.address, target.port, timeout=timeout, maxsize=2
                )
        return self._pools[key]


def _host_header(target: Target) -> str:
    default = 443 if target.scheme == "https" else 80
    return target.host if target.port == default else f"{target.host}:{target.port}"
