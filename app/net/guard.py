"""The one guard for HTTP requests to addresses that users give us: outbound webhooks for the team's
CRM (an admin types the URL) and Web Push endpoints (a browser hands us one). Without it, anyone who
can register a URL could make the server call into its own network (server-side request forgery):
the metadata service at 169.254.169.254, a database admin page on 10.x, Redis on 127.0.0.1.

The rule (docs/contract.md, OUTBOUND_ALLOW_HOSTS):
- the URL is http(s) with a host name, https unless the caller allows http (development) — and a
  host named in OUTBOUND_ALLOW_HOSTS may use http, since such a host is a deliberate exception
  (an intranet CRM, a test receiver);
- every address the host resolves to must be a public unicast address: loopback, private, link-local,
  shared (CGNAT), multicast, reserved and unspecified addresses are refused, IPv4-mapped IPv6 too;
- a host named in OUTBOUND_ALLOW_HOSTS skips the address check; nothing else relaxes it.

Checked twice: when the URL is saved (a clear error for the admin) and when sending. When sending,
`pinned_session` connects to the very address that was checked, so a DNS answer that changes between
the check and the connection (DNS rebinding) cannot redirect the request; TLS still verifies the
certificate for the host name. Redirects to another host are refused.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests
from flask import current_app
from requests.adapters import HTTPAdapter


class DestinationRefused(ValueError):
    """The URL may not be called; the message says why, for the admin or the log."""


@dataclass(frozen=True)
class Destination:
    url: str
    host: str               # lower case, IPv6 without brackets
    port: int
    address: str | None     # the checked address to connect to; None for an allowed host (resolved as usual)


def allowed_hosts(app=None) -> frozenset[str]:
    return (app or current_app).config.get("OUTBOUND_ALLOW_HOSTS") or frozenset()


def _resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to (a seam for tests: no DNS reaches the internet here)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise DestinationRefused(f"{host} cannot be resolved") from exc
    # In the resolver's order (RFC 6724 preference), without repeats: the first is the one connected to.
    return list(dict.fromkeys(info[4][0] for info in infos))


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_destination(url: str, *, require_https: bool = True, app=None) -> Destination:
    """The URL's destination when it may be called, else DestinationRefused naming why."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise DestinationRefused("the URL is not valid") from exc
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host:
        raise DestinationRefused("the URL must start with https:// and name a host")
    if parts.username or parts.password:
        raise DestinationRefused("the URL may not carry a user name or password")
    port = port or (443 if scheme == "https" else 80)
    if host in allowed_hosts(app):
        return Destination(url, host, port, None)
    if scheme != "https" and require_https:
        raise DestinationRefused("the URL must use https://")
    addresses = _resolve(host, port)
    if not addresses:
        raise DestinationRefused(f"{host} cannot be resolved")
    for address in addresses:
        if not is_public(address):
            raise DestinationRefused(f"{host} resolves to a private or local address ({address}); "
                                     "name it in OUTBOUND_ALLOW_HOSTS if it is meant to be reached")
    return Destination(url, host, port, addresses[0])


class _PinnedAdapter(HTTPAdapter):
    """Sends to the checked address while TLS verifies (and SNI names) the host itself."""

    def __init__(self, destination: Destination, **kwargs) -> None:
        self.destination = destination
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        if self.destination.address is not None:
            kwargs["server_hostname"] = self.destination.host
            kwargs["assert_hostname"] = self.destination.host
        super().init_poolmanager(*args, **kwargs)

    def send(self, request, *args, **kwargs):
        parts = urlsplit(request.url)
        if (parts.hostname or "").lower() != self.destination.host:
            raise DestinationRefused(f"a redirect to {parts.hostname} was refused")
        if self.destination.address is not None:
            address = self.destination.address
            netloc = f"[{address}]" if ":" in address else address
            if parts.port:
                netloc += f":{parts.port}"
            request.headers["Host"] = parts.netloc.rsplit("@", 1)[-1]
            request.url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
        return super().send(request, *args, **kwargs)


def pinned_session(destination: Destination) -> requests.Session:
    """A requests session that can only reach `destination` (its checked address, no redirects
    elsewhere, no proxies from the environment)."""
    session = requests.Session()
    session.trust_env = False  # an HTTP(S)_PROXY in the environment would bypass the pin
    adapter = _PinnedAdapter(destination, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
