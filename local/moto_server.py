"""moto's server as the local AWS, with DynamoDB requests applied one at a time.

DynamoDB applies each conditional write atomically. moto does not promise that under concurrent
requests (in-process, two concurrent `UpdateItem`s with one condition have both passed it).
Serialising DynamoDB requests (and only those: SQS long polls must not queue behind each other)
gives the local stack the guarantee the gateway relies on for leases and state transitions.
It also lets a cancelled transaction be rolled back by its own items (local.moto_transactions)
rather than by moto's copy of the whole table per transaction item. Item operations answer with
moto's result as JSON (local.moto_item_responses), the same answer without moto's serializer's
walk over every attribute.
"""
from __future__ import annotations

import logging
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Callable, Iterable

from moto.moto_server.threaded_moto_server import MotoRequestHandler
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

from local import moto_item_responses, moto_transactions


class SerialDynamoDB:
    """Routes DynamoDB requests (known by their X-Amz-Target) straight to moto's DynamoDB app, one
    at a time, and everything else through moto's dispatcher, which finds each request's service by
    matching its host against every service's URL patterns (a sizeable share of a small request)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._dynamodb = create_backend_app("dynamodb")
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Any) -> Iterable[bytes]:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
            return self._app(environ, start_response)
        with self._lock:
            return list(self._dynamodb(environ, start_response))


ROOT = Path(__file__).resolve().parent.parent


class KeepAliveHandler(MotoRequestHandler):
    """HTTP/1.1, so clients reuse their connections: a new connection (and server thread) per
    request cost more than moto's work for most requests."""

    protocol_version = "HTTP/1.1"


class LocalAws:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        moto_transactions.install()
        moto_item_responses.install()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request halved its throughput
        app = SerialDynamoDB(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(host, port, app, threaded=True, request_handler=KeepAliveHandler)
        self.endpoint = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class LocalAwsProcess:
    """LocalAws in a child interpreter, for benchmarks: the gateway's own threads then do not share
    a GIL with the fake AWS, whose answers would otherwise slow down with every busy thread."""

    def __init__(self) -> None:
        self._process: subprocess.Popen | None = None
        self.endpoint = ""

    def start(self) -> None:
        self._process = subprocess.Popen([sys.executable, "-m", "local.moto_server"], cwd=ROOT, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.endpoint = self._process.stdout.readline().strip()
        if not self.endpoint:
            raise RuntimeError("the local AWS process did not start")

    def stop(self) -> None:
        if self._process is not None:
            self._process.stdin.close()  # the child exits when its stdin closes
            self._process.wait(timeout=10)


if __name__ == "__main__":
    aws = LocalAws()
    aws.start()
    print(aws.endpoint, flush=True)
    sys.stdin.read()
    aws.stop()
