"""The network edge of webhooks: resolving a platform's host name and posting to it.

`requests` is imported on the first post, not with this module: registration (an API route) uses
`resolve_host` and must not pay for it on a cold start.
"""
from __future__ import annotations

import socket
import threading
from typing import TYPE_CHECKING

from chalicelib.webhooks.addresses import AddressNotAllowed, AddressPolicy, Resolver

if TYPE_CHECKING:
    import requests

    from chalicelib.webhooks.delivery import Timeouts


def resolve_host(host: str) -> list[str]:
    """Every address the system resolver gives for `host`, A and AAAA, in its order of preference."""
    answers = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(sockaddr[0] for *_, sockaddr in answers))


class SendFailed(Exception):
    """A webhook POST that got no HTTP answer. `reason` is all the platform is shown ("timed out",
    "connection failed", ...): the socket's own words would tell a tenant how the hosts and ports
    it names answer, a port scanner run through the gateway. The cause, chained, is for the log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WebhookSender:
    """Posts webhooks through one pooled session per container, opened on the first post, whose
    connections reach only addresses `policy` allows (see pinned_http.py)."""

    def __init__(self, policy: AddressPolicy, resolve: Resolver = resolve_host) -> None:
        self._policy = policy
        self._resolve = resolve
        self._session: requests.Session | None = None
        self._opening = threading.Lock()  # the notify worker posts from parallel threads

    def post(self, url: str, body: str, headers: dict[str, str], timeouts: Timeouts) -> int:
        """POST one webhook, redirects not followed: the status code, or raises SendFailed."""
        import requests

        try:
            response = self._opened().post(url, data=body.encode(), headers=headers,
                                           timeout=(timeouts.connect, timeouts.read), allow_redirects=False)
        except AddressNotAllowed as error:
            raise SendFailed("address not allowed") from error
        except requests.exceptions.SSLError as error:
            raise SendFailed("TLS error") from error
        except requests.Timeout as error:
            raise SendFailed("timed out") from error
        except (requests.RequestException, OSError) as error:  # OSError: the name did not resolve
            raise SendFailed("connection failed") from error
        return response.status_code

    def _opened(self) -> requests.Session:
        with self._opening:
            if self._session is None:
                from chalicelib.webhooks.pinned_http import pinned_session

                self._session = pinned_session(self._policy, self._resolve)
            return self._session
