"""moto's server as the local AWS, with DynamoDB requests applied one at a time.

DynamoDB applies each conditional write atomically. moto does not promise that under concurrent
requests (in-process, two concurrent `UpdateItem`s with one condition have both passed it).
Serialising DynamoDB requests (and only those: SQS long polls must not queue behind each other)
gives the local stack the guarantee the gateway relies on for leases and state transitions.
It also lets a cancelled transaction be rolled back by its own items (local.moto_transactions)
rather than by moto's copy of the whole table per transaction item. Item operations answer with
moto's result as JSON (local.moto_item_responses), the same answer without moto's serializer's
walk over every attribute.

Given a state file, LocalAws restores what it holds at start and keeps it up to date while it runs
(local.aws_state).
"""
from __future__ import annotations

import logging
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from moto.moto_server.threaded_moto_server import MotoRequestHandler
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

from local import aws_state, moto_item_responses, moto_transactions
from local.state_files import AwsStateFiles


class SerialDynamoDB:
    """Routes DynamoDB and DynamoDB Streams requests (known by their X-Amz-Target) straight to moto's
    apps for them, one at a time (a stream read sees the tables between writes), and everything
    else through moto's dispatcher, which finds each request's service by matching its host against
    every service's URL patterns (a sizeable share of a small request)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._dynamodb = create_backend_app("dynamodb")
        self._streams = create_backend_app("dynamodbstreams")
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Any) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith("DynamoDBStreams"):
            backend = self._streams
        elif target.startswith("DynamoDB"):
            backend = self._dynamodb
        else:
            return self._app(environ, start_response)
        with self._lock:
            return list(backend(environ, start_response))

    @contextmanager
    def paused(self) -> Iterator[None]:
        """No DynamoDB request is applied while inside."""
        with self._lock:
            yield


#: Operation name prefixes of requests that change nothing a saved state holds. A receive moves only
#: when its messages are next delivered, and the delete or retry that follows it is counted.
READ_ONLY_OPERATIONS = ("Get", "Describe", "List", "Query", "Scan", "BatchGet", "TransactGet", "Receive")


def may_change_state(environ: dict) -> bool:
    """False for a request known to only read: a JSON-protocol operation named as a read (DynamoDB,
    SQS), or a GET or HEAD (S3). Anything else may have changed something."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return not target.rsplit(".", 1)[-1].startswith(READ_ONLY_OPERATIONS)
    return environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD", "OPTIONS")


class CountingChanges:
    """Counts the answered requests that may have changed state, so a periodic save can skip a
    moment in which nothing did. Counted after moto has applied the request."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._count = 0
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Any) -> Iterable[bytes]:
        answer = self._app(environ, start_response)
        if may_change_state(environ):
            with self._lock:
                self._count += 1
        return answer

    def count(self) -> int:
        return self._count


ROOT = Path(__file__).resolve().parent.parent


class KeepAliveHandler(MotoRequestHandler):
    """HTTP/1.1, so clients reuse their connections: a new connection (and server thread) per
    request cost more than moto's work for most requests."""

    protocol_version = "HTTP/1.1"


class LocalAws:
    """moto's server on `host`:`port`. With `state`, it starts from the state saved there and saves
    its own every `save_every` seconds when something changed, and at stop (local.aws_state)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, state: AwsStateFiles | None = None,
                 save_every: float = 2.0, region: str = "us-east-1") -> None:
        moto_transactions.install()
        moto_item_responses.install()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request halved its throughput
        self._dynamodb = SerialDynamoDB(DomainDispatcherApplication(create_backend_app))
        self._changes = CountingChanges(self._dynamodb)
        self._server = make_server(host, port, self._changes, threaded=True, request_handler=KeepAliveHandler)
        self.endpoint = f"http://{host}:{self._server.server_port}"
        self.region = region
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)
        self._keeper = None if state is None else aws_state.StateKeeper(
            state, lambda: aws_state.capture(region, self._dynamodb.paused), self._changes.count, save_every)

    def start(self) -> None:
        """Serve, and with a state file restore what it holds (through the API) before returning;
        raises StateInUse or UnreadableState, and then restores and will save nothing."""
        self._thread.start()
        if self._keeper is not None:
            self._keeper.start(lambda state: aws_state.restore(state, *self._clients()))

    def _clients(self) -> tuple[Any, Any, Any]:
        import boto3

        session = boto3.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name=self.region)
        return tuple(session.client(service, endpoint_url=self.endpoint) for service in ("dynamodb", "sqs", "s3"))

    def stop(self) -> None:
        if self._keeper is not None:
            self._keeper.stop()
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
