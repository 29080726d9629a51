"""moto's server as the local AWS, with DynamoDB requests applied one at a time.

DynamoDB applies each conditional write atomically. moto does not promise that under concurrent
requests (in-process, two concurrent `UpdateItem`s with one condition have both passed it).
Serialising DynamoDB requests (and only those: SQS long polls must not queue behind each other)
gives the local stack the guarantee the gateway relies on for leases and state transitions.
It also lets a cancelled transaction be rolled back by its own items (local.moto_transactions)
rather than by moto's copy of the whole table per transaction item.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Iterable

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.moto_server.threaded_moto_server import MotoRequestHandler
from werkzeug.serving import make_server

from local import moto_transactions


class SerialDynamoDB:
    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Any) -> Iterable[bytes]:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
            return self._app(environ, start_response)
        with self._lock:
            return list(self._app(environ, start_response))


class LocalAws:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        moto_transactions.install()
        app = SerialDynamoDB(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
        self.endpoint = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
