"""A `requests` session that connects only to addresses the policy allowed, checked per request.

Imported by the sender on its first post (it loads `requests`, which the other functions never need).
"""
from __future__ import annotations

import http.cookiejar
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util import parse_url

from chalicelib.webhooks.addresses import AddressPolicy, Resolver, pinned_address


class PinnedAddressAdapter(HTTPAdapter):
    """Connects to the address that was checked, never to a fresh lookup of the host name.

    Each request resolves its host once and checks every answer; the urllib3 pool is then chosen
    by that address, so the connection goes to it without a second lookup, and a DNS answer that
    changes after the check (rebinding) is never used. A pooled connection is reused only for the
    same address and host name. TLS still sends SNI for the host name and verifies the
    certificate against it (`server_hostname`), and the Host header names the host, so the
    receiver sees the request as it would without the pin.

    Both hooks are the ones requests documents for subclasses (`build_connection_pool_key_attributes`
    since 2.32.2, `add_headers`): `send` reaches a pool only through `get_connection_with_tls_context`,
    which asks the first.
    """

    def __init__(self, policy: AddressPolicy, resolve: Resolver) -> None:
        super().__init__()
        self._policy = policy
        self._resolve = resolve

    def build_connection_pool_key_attributes(self, request: requests.PreparedRequest, verify: Any,
                                             cert: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        host = host_params["host"]
        address = pinned_address(host, self._resolve, self._policy)
        host_params["host"] = f"[{address}]" if address.version == 6 else str(address)
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = host
        return host_params, pool_kwargs

    def add_headers(self, request: requests.PreparedRequest, **kwargs: Any) -> None:
        request.headers["Host"] = parse_url(request.url).netloc


def pinned_session(policy: AddressPolicy, resolve: Resolver) -> requests.Session:
    """A session for webhooks: pinned connections for http and https, and nothing taken from the
    environment (a proxy would resolve the host itself, past the pin; a .netrc would hand its
    credentials to a platform's host). It keeps no cookies: a cookie one platform's endpoint
    sets would otherwise ride along with another platform's webhooks to the same host."""
    session = requests.Session()
    session.trust_env = False
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    adapter = PinnedAddressAdapter(policy, resolve)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
