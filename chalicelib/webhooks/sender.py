"""The network edge of webhooks: resolving a platform's host name."""
from __future__ import annotations

import socket


def resolve_host(host: str) -> list[str]:
    """Every address the system resolver gives for `host`, A and AAAA, in its order of preference."""
    answers = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(sockaddr[0] for *_, sockaddr in answers))
