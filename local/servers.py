"""Loopback HTTP servers for the local stack and the harness."""
from __future__ import annotations

from http.server import ThreadingHTTPServer


class LoopbackHTTPServer(ThreadingHTTPServer):
    """A thread per connection, and a listen backlog deep enough for a burst of clients
    (socketserver's default of 5 drops connects beyond it, retried by the client only after a second)."""

    daemon_threads = True
    request_queue_size = 128
