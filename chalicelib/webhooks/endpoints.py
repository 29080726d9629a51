"""A platform's webhook endpoint: registration, secret rotation, and which secrets sign now."""
from __future__ import annotations

import ipaddress
import re
import unicodedata
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Callable
from urllib.parse import urlsplit

from chalicelib.clock import Clock, from_iso, to_iso
from chalicelib.domain.models import Platform
from chalicelib.errors import BadRequest, Conflict
from chalicelib.store.webhook_endpoints import WebhookEndpointStore
from chalicelib.webhooks.addresses import AddressNotAllowed, AddressPolicy, Resolver, checked_addresses
from chalicelib.webhooks.sender import resolve_host
from chalicelib.webhooks.signing import new_secret

if TYPE_CHECKING:  # request bodies: only the API loads pydantic (chalicelib/domain/records.py)
    from chalicelib.domain.requests import EndpointRequest

#: A rotated-out secret keeps signing this long, so the platform can switch without losing events.
ROTATION_OVERLAP = timedelta(hours=24)

_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
#: The ports webhook receivers listen on; any other port on a public host is more likely a
#: service that was never meant to receive them (SSH, a database, an admin console).
_WEBHOOK_PORTS = (443, 8443)
_LABEL = r"(?!-)[a-z0-9_-]{1,63}(?<!-)"
#: A fully qualified ASCII name: a single label would be completed by the resolver's search domains.
_DOMAIN_NAME = re.compile(rf"{_LABEL}(\.{_LABEL})+\.?")
#: The last label of a host that URL parsers (WHATWG, inet_aton) read as an IPv4 address.
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")


def url_problem(url: str, allow_loopback_http: bool, loopback_only: bool = False,
                resolve: Resolver = resolve_host) -> str | None:
    """Why `url` cannot receive webhooks, or None. HTTPS on port 443 or 8443 to a host whose every
    address is public; plain HTTP to loopback in the local and test stages. The local stage sends
    only to this machine (`loopback_only`): a laptop stack has no business posting to the internet.

    Each rule closes a way to reach what is behind the gateway: URL parsers disagree on whitespace,
    control characters and userinfo, and `127.1` or `0x7f.1` are loopback to inet_aton but not to
    a string comparison. The notify worker checks the addresses again when it connects (DNS can
    change after registration; see pinned_http.py)."""
    if any(character.isspace() or unicodedata.category(character).startswith("C") for character in url):
        return "must not contain whitespace or control characters"
    try:
        parts = urlsplit(url)
    except ValueError:  # an unbalanced or malformed [IPv6] host
        return "must be a valid URL"
    host = parts.hostname or ""
    if not host or "@" in parts.netloc:
        return "must be an absolute URL with a host and no credentials"
    try:
        port = parts.port
    except ValueError:
        return "must have a port number from 1 to 65535"
    if loopback_only:
        if host not in _LOOPBACK_HOSTS or parts.scheme not in ("http", "https"):
            return "the local stage delivers webhooks only to this machine (127.0.0.1 or localhost)"
        return None
    if parts.scheme == "http" and allow_loopback_http and host in _LOOPBACK_HOSTS:
        return None
    if parts.scheme != "https":
        return "must use https"
    if port not in (None, *_WEBHOOK_PORTS):
        return "must use port 443 or 8443"
    return _host_problem(host, resolve)


def _host_problem(host: str, resolve: Resolver) -> str | None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return None if AddressPolicy().allows(address) else "must not be a private, loopback or link-local address"
    if _NUMERIC_LABEL.fullmatch(host.removesuffix(".").rpartition(".")[2]):
        return "must write an IPv4 address as four decimal numbers"
    if not _DOMAIN_NAME.fullmatch(host):
        return "must name a fully qualified host in ASCII (the xn-- form for international names)"
    try:
        checked_addresses(host, resolve, AddressPolicy())
    except (AddressNotAllowed, OSError):
        # One answer for both, so registration does not tell which internal names exist.
        return "the host must resolve, and only to public addresses"
    return None


def signing_secrets(endpoint: dict, now: datetime) -> list[str]:
    return [entry["secret"] for entry in endpoint.get("secrets", [])
            if "expires_at" not in entry or from_iso(entry["expires_at"]) > now]


class WebhookEndpoints:
    def __init__(self, store: WebhookEndpointStore, clock: Clock, allow_loopback_http: bool, loopback_only: bool = False,
                 resolve: Resolver = resolve_host, changed: Callable[[str], None] = lambda platform_id: None) -> None:
        """`changed(platform_id)` after each change (the container's endpoint cache forgets it)."""
        self._store = store
        self._changed = changed
        self._clock = clock
        self._allow_loopback_http = allow_loopback_http
        self._loopback_only = loopback_only
        self._resolve = resolve

    @property
    def address_policy(self) -> AddressPolicy:
        """What deliveries may reach: what registration accepts. Public addresses except on the
        local stage; loopback exactly where loopback URLs are accepted (the local and test stages)."""
        return AddressPolicy(public=not self._loopback_only, loopback=self._allow_loopback_http)

    def register(self, platform: Platform, request: EndpointRequest) -> dict:
        """Set the URL and issue a new secret; the previous secret stays valid for 24 hours."""
        problem = url_problem(request.url, self._allow_loopback_http, self._loopback_only, self._resolve)
        if problem:
            raise BadRequest("the webhook URL is not acceptable", fields=[{"field": "url", "problem": problem}])
        for _ in range(3):
            now = self._clock.now()
            current = self._store.get(platform.id)
            secret = new_secret()
            kept = []
            for entry in (current or {}).get("secrets", []):
                expires = entry.get("expires_at") or to_iso(now + ROTATION_OVERLAP)
                if from_iso(expires) > now:
                    kept.append({**entry, "expires_at": expires})
            endpoint = {"url": request.url, "enabled": True, "updated_at": to_iso(now),
                        "secrets": [{"secret": secret, "created_at": to_iso(now)}, *kept]}
            if self._store.put(platform.id, endpoint, current["version"] if current else None):
                self._changed(platform.id)
                return {"url": request.url, "enabled": True, "secret": secret,
                        "previous_secrets_valid_until": max((entry["expires_at"] for entry in kept), default=None)}
        raise Conflict("the webhook endpoint changed meanwhile; retry", code="concurrent_change")

    def show(self, platform: Platform) -> dict:
        current = self._store.get(platform.id)
        if current is None:
            return {"url": None, "enabled": False}
        return {"url": current["url"], "enabled": current["enabled"],
                "disabled_reason": current.get("disabled_reason"), "updated_at": current["updated_at"]}
