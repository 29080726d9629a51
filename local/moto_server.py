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
import os
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from moto.moto_server.threaded_moto_server import MotoRequestHandler
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

from local import aws_state, moto_item_responses, moto_stream_iterators, moto_transactions
from local.state_files import AwsStateFiles, StateInUse, UnreadableState


class SerialDynamoDB:
    """Routes DynamoDB and DynamoDB Streams requests (known by their X-Amz-Target) straight to
    moto's app for each, one at a time, and everything else through moto's dispatcher, which finds
    each request's service by matching its host against every service's URL patterns (a sizeable
    share of a small request)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._dynamodb = create_backend_app("dynamodb")
        self._streams = create_backend_app("dynamodbstreams")
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Any) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith("DynamoDB_"):
            backend = self._dynamodb
        elif target.startswith("DynamoDBStreams_"):  # in line too: a read never sees a cancelled transaction's part
            backend = self._streams
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
        moto_stream_iterators.install()
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
    """LocalAws in a child interpreter: the gateway's own threads then do not share a GIL with the
    fake AWS (most of the local stack's CPU), whose answers would otherwise slow down with every
    busy thread, and the two use a core each. The same arguments as LocalAws; with `state`, the
    child restores, saves and holds the lock on it, and saves once more when stopped.

    The child stops when its stdin closes, so it also goes when this process is killed; it ignores
    Ctrl-C (the terminal sends it to the whole process group), leaving the order of a stop to this
    side. `stderr` takes its log (default: this process's standard error)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, state: AwsStateFiles | None = None,
                 save_every: float = 2.0, region: str = "us-east-1", stderr: Any = None) -> None:
        self._arguments = ["--host", host, "--port", str(port), "--save-every", str(save_every), "--region", region]
        if state is not None:
            self._arguments += ["--state-dir", str(state.directory)]
        self._stderr = stderr
        self._process: subprocess.Popen | None = None
        self.endpoint = ""
        self.region = region

    def start(self) -> None:
        """Raises StateInUse or UnreadableState as LocalAws does (the child has then exited)."""
        self._process = subprocess.Popen([sys.executable, "-m", "local.moto_server", *self._arguments], cwd=ROOT,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                                         text=True)
        line = self._process.stdout.readline().strip()
        if line.startswith("http://"):
            self.endpoint = line
            return
        self._process.wait(timeout=10)
        self._process = None
        kind, _, message = line.partition(" ")
        refusals = {"StateInUse": StateInUse, "UnreadableState": UnreadableState}
        if kind in refusals:
            raise refusals[kind](message)
        raise RuntimeError(f"the local AWS process did not start: {line or 'it exited'}")

    def cpu_seconds(self) -> float:
        """CPU time the child has used so far, every thread together (Linux: /proc; else 0)."""
        if self._process is None:
            return 0.0
        try:
            fields = Path(f"/proc/{self._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def stop(self, timeout: float = 60) -> None:
        """Stop the child once it has saved (with a state); killed if it takes over `timeout` s."""
        if self._process is None:
            return
        self._process.stdin.close()  # the child exits when its stdin closes
        try:
            self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None


def _serve(argv: list[str] | None = None) -> int:
    """The child of LocalAwsProcess: the endpoint (or `<refusal> <message>`) on its first line of
    output, then serving until stdin closes or SIGTERM."""
    import argparse
    import signal

    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--state-dir")
    parser.add_argument("--save-every", type=float, default=2.0)
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for noisy in ("botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    state = AwsStateFiles(Path(args.state_dir)) if args.state_dir else None
    aws = LocalAws(args.host, args.port, state, args.save_every, args.region)
    try:
        aws.start()
    except (StateInUse, UnreadableState) as refused:
        aws.stop()
        print(type(refused).__name__, str(refused).replace("\n", " "), flush=True)
        return 2
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    threading.Thread(target=lambda: (sys.stdin.read(), stopping.set()), name="stdin", daemon=True).start()
    print(aws.endpoint, flush=True)
    stopping.wait()
    aws.stop()
    return 0


if __name__ == "__main__":
    sys.exit(_serve())
