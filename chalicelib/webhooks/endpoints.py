"""A platform's webhook endpoint: registration, secret rotation, and which secrets sign now."""
from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from chalicelib.clock import Clock, from_iso, to_iso
from chalicelib.domain.models import Platform
from chalicelib.domain.requests import EndpointRequest
from chalicelib.errors import BadRequest, Conflict
from chalicelib.store.webhook_endpoints import WebhookEndpointStore
from chalicelib.webhooks.signing import new_secret

#: A rotated-out secret keeps signing this long, so the platform can switch without losing events.
ROTATION_OVERLAP = timedelta(hours=24)

_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def url_problem(url: str, allow_loopback_http: bool, loopback_only: bool = False) -> str | None:
    """Why `url` cannot receive webhooks, or None. HTTPS to a public host; plain HTTP to loopback in
    the local and test stages. The local stage sends only to this machine (`loopback_only`): a
    laptop stack has no business posting to the internet."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host or parts.username or parts.password:
        return "must be an absolute URL with a host and no credentials"
    if loopback_only:
        if host not in _LOOPBACK_HOSTS or parts.scheme not in ("http", "https"):
            return "the local stage delivers webhooks only to this machine (127.0.0.1 or localhost)"
        return None
    if parts.scheme == "http" and allow_loopback_http and host in _LOOPBACK_HOSTS:
        return None
    if parts.scheme != "https":
        return "must use https"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None if host != "localhost" else "must not point at this machine"
    if not address.is_global:
        return "must not be a private, loopback or link-local address"
    return None


def signing_secrets(endpoint: dict, now: datetime) -> list[str]:
    return [entry["secret"] for entry in endpoint.get("secrets", [])
            if "expires_at" not in entry or from_iso(entry["expires_at"]) > now]


class WebhookEndpoints:
    def __init__(self, store: WebhookEndpointStore, clock: Clock, allow_loopback_http: bool, loopback_only: bool = False) -> None:
        self._store = store
        self._clock = clock
        self._allow_loopback_http = allow_loopback_http
        self._loopback_only = loopback_only

    def register(self, platform: Platform, request: EndpointRequest) -> dict:
        """Set the URL and issue a new secret; the previous secret stays valid for 24 hours."""
        problem = url_problem(request.url, self._allow_loopback_http, self._loopback_only)
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
                return {"url": request.url, "enabled": True, "secret": secret,
                        "previous_secrets_valid_until": max((entry["expires_at"] for entry in kept), default=None)}
        raise Conflict("the webhook endpoint changed meanwhile; retry", code="concurrent_change")

    def show(self, platform: Platform) -> dict:
        current = self._store.get(platform.id)
        if current is None:
            return {"url": None, "enabled": False}
        return {"url": current["url"], "enabled": current["enabled"],
                "disabled_reason": current.get("disabled_reason"), "updated_at": current["updated_at"]}
