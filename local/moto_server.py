"""moto's server as the local AWS, with DynamoDB requests applied one at a time.

DynamoDB applies each conditional write atomically. moto does not promise that under concurrent
requests (in-process, two concurrent `UpdateItem`s with one condition have both passed it).
Serialising DynamoDB requests (and only those: SQS long polls must not queue behind each other)
gives the local stack the guarantee the gateway relies on for leases and state transitions.

With requests serialised, a transaction can check every condition first and then apply every
write, instead of moto's way (deep-copy the whole table once per item, apply, restore on a failed
condition), whose cost grows with the table and made each state change slower than the carriers
being simulated. `_transact_write_items` is that check-then-apply, installed by LocalAws.
"""
from __future__ import annotations

import copy
import logging
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Callable, Iterable

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.moto_server.threaded_moto_server import MotoRequestHandler
from werkzeug.serving import make_server


class SerialDynamoDB:
    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Any) -> Iterable[bytes]:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
            return self._app(environ, start_response)
        with self._lock:
            return list(self._app(environ, start_response))

ROOT = Path(__file__).resolve().parent.parent


def _transact_write_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    """All or nothing, like DynamoDB: every condition is checked against the state before any write
    (the items are distinct, so no write in the transaction can change another's condition); only
    then are the writes applied, and undone from per-item copies if one of them is invalid."""
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    operations, seen, reasons = [], set(), []
    for entry in transact_items:
        if len(entry) > 1:
            raise TransactWriteSingleOpException
        (kind, op), = entry.items()
        table = backend.get_table(op["TableName"])
        source = op["Item"] if kind == "Put" else op["Key"]
        key = {name: source[name] for name in (table.hash_key_attr, table.range_key_attr) if name}
        identity = (op["TableName"], str(sorted(key.items())))
        if identity in seen:
            raise MultipleTransactionsException()
        seen.add(identity)
        current = backend.get_item(op["TableName"], key)
        reason: tuple = (None, None, None)
        if op.get("ConditionExpression") is not None:
            condition = get_filter_expression(op["ConditionExpression"], op.get("ExpressionAttributeNames"),
                                              op.get("ExpressionAttributeValues"))
            if not condition.expr(current):
                old = (current.to_json()["Attributes"]
                       if current is not None and op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" else None)
                reason = ("ConditionalCheckFailed", "The conditional request failed", old)
        reasons.append(reason)
        operations.append((kind, op, key, copy.deepcopy(current)))
    if any(code is not None for code, _, _ in reasons):
        raise TransactionCanceledException(reasons)
    applied = []
    try:
        for kind, op, key, before in operations:
            names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            if kind == "Put":
                backend.put_item(op["TableName"], op["Item"])
            elif kind == "Delete":
                backend.delete_item(op["TableName"], key)
            elif kind == "Update":
                backend.update_item(op["TableName"], key, update_expression=op["UpdateExpression"],
                                    expression_attribute_names=names, expression_attribute_values=values)
            applied.append((op["TableName"], key, before))
    except Exception:
        for table_name, key, before in reversed(applied):
            if before is None:
                backend.delete_item(table_name, key)
            else:
                backend.put_item(table_name, before.to_json()["Attributes"])
        raise


class KeepAliveHandler(MotoRequestHandler):
    """HTTP/1.1, so clients reuse their connections: a new connection (and server thread) per
    request cost more than moto's work for most requests."""

    protocol_version = "HTTP/1.1"


class LocalAws:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        DynamoDBBackend.transact_write_items = _transact_write_items  # see the module's docstring
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
