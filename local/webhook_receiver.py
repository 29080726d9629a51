"""A platform's webhook endpoint on 127.0.0.1 (tests, benchmarks): records requests, answers a scripted status."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler

from local.servers import LoopbackHTTPServer


class WebhookReceiver:
    def __init__(self) -> None:
        self.received: list[tuple[dict, bytes]] = []
        self.statuses: list[int] = []  # answered in order; 204 once used up
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append(({key.lower(): value for key, value in self.headers.items()}, body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self._server = LoopbackHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/hooks"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
