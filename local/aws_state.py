"""The local AWS's state as JSON, so the local stack keeps its data across restarts.

moto 5.2.5 cannot save and restore a server's state. What it offers instead is the recorder, which
logs every request and replays the log, and a replay does not rebuild this stack's state: each
replayed receive gets a new receipt handle, so the deletes recorded after it no longer match and
finished messages come back; and the log grows with every request (queue polls included), so each
start replays more, one HTTP request at a time. Its maintainers have declined persistence
(getmoto/moto#9755). So this module saves exactly what the gateway uses, in one JSON document:

- each DynamoDB table: its definition (keys, indexes, billing mode), its TTL attribute and every
  item, in DynamoDB's JSON form (binary values base64, as on the wire);
- each SQS queue: the attributes it was created with and every message in it, with when it becomes
  receivable again (a message in flight when the stack stopped is delivered again, as SQS would once
  its visibility timeout ended; receive counts restart);
- each S3 bucket: every object, its content type and user metadata.

It reads moto's models in this process (the table at one instant, under LocalAws's DynamoDB lock;
the queues' messages without receiving them), which ties it to moto 5.2.5 like the patches
(local/moto_version.py); it restores through the AWS API, so a restored server holds what the
same requests would have made. StateKeeper saves it every few seconds when a request may have
changed something, and at a clean stop.
"""
from __future__ import annotations

import base64
import json
import logging
import math
import threading
import time
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.s3.models import FakeKey, s3_backends
from moto.sqs.models import sqs_backends

from local.state_files import AwsStateFiles, UnreadableState

log = logging.getLogger("local.aws_state")

FORMAT = "parcel-intercept-gateway local AWS state"
VERSION = 1
#: The queue attributes a queue is created with; the others are counters moto keeps.
QUEUE_ATTRIBUTES = ("DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod", "Policy",
                    "ReceiveMessageWaitTimeSeconds", "RedrivePolicy", "VisibilityTimeout")
#: SQS delays a sent message by at most 15 minutes; one due later is receivable after that.
MAX_DELAY_SECONDS = 900
USER_METADATA_PREFIX = "x-amz-meta-"


# -- capture: moto's models, read only -------------------------------------------------------------

def capture(region: str, paused_dynamodb: Callable[[], AbstractContextManager] = nullcontext,
            account: str = DEFAULT_ACCOUNT_ID) -> dict:
    """Every table, queue and bucket in `account` and `region`. `paused_dynamodb` holds DynamoDB
    requests back while the tables are read, so a transaction is saved whole or not at all."""
    with paused_dynamodb():
        tables = [_table(table) for table in list(dynamodb_backends[account][region].tables.values())]
    return {
        "tables": tables,
        "queues": [_queue(queue) for queue in list(sqs_backends[account][region].queues.values())],
        "buckets": [_bucket(bucket) for bucket in list(s3_backends[account]["aws"].buckets.values())
                    if bucket.region_name == region],
    }


def _table(table: Any) -> dict:
    definition: dict[str, Any] = {"TableName": table.name, "KeySchema": table.schema,
                                  "AttributeDefinitions": table.attr}
    provisioned = table.billing_mode != "PAY_PER_REQUEST"
    if provisioned:
        definition["ProvisionedThroughput"] = _throughput(table.throughput)
    else:
        definition["BillingMode"] = "PAY_PER_REQUEST"
    if table.global_indexes:
        definition["GlobalSecondaryIndexes"] = [
            {**_index(index), **({"ProvisionedThroughput": _throughput(index.throughput)} if provisioned else {})}
            for index in table.global_indexes]
    if table.indexes:
        definition["LocalSecondaryIndexes"] = [_index(index) for index in table.indexes]
    stream = table.stream_specification or {}
    if stream.get("StreamEnabled"):  # the stream's records are not kept: a restart relays from then on
        definition["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    ttl = table.ttl.get("AttributeName") if table.ttl.get("TimeToLiveStatus") == "ENABLED" else None
    return {"definition": _wire(definition), "time_to_live": ttl,
            "items": [_wire(item.to_json()["Attributes"]) for item in table.all_items()]}


def _index(index: Any) -> dict:
    described = index.describe()
    return {name: described[name] for name in ("IndexName", "KeySchema", "Projection")}


def _throughput(throughput: dict) -> dict:
    return {name: throughput[name] for name in ("ReadCapacityUnits", "WriteCapacityUnits")}


def _wire(value: Any) -> Any:
    """A copy of `value` (moto's own containers stay moto's) with bytes as base64 text."""
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {key: _wire(inner) for key, inner in value.items()}
    if isinstance(value, (list, tuple)):
        return [_wire(inner) for inner in value]
    return value


def _queue(queue: Any) -> dict:
    attributes = queue.attributes
    return {
        "name": queue.name,
        "attributes": {name: str(attributes[name]) for name in QUEUE_ATTRIBUTES if attributes.get(name) is not None},
        "messages": [{"body": message.body, "receivable_at": max(message.visible_at, message.delayed_until) / 1000}
                     for message in list(queue._messages)],
    }


def _bucket(bucket: Any) -> dict:
    objects = []
    for key, stored in bucket.keys.items():
        if not isinstance(stored, FakeKey):
            continue
        metadata = stored.metadata
        objects.append({
            "key": key, "body": base64.b64encode(stored.value).decode("ascii"),
            "content_type": metadata.get("content-type"),
            "metadata": {name[len(USER_METADATA_PREFIX):]: value for name, value in metadata.items()
                         if name.startswith(USER_METADATA_PREFIX)},
        })
    return {"name": bucket.name, "objects": objects}


# -- restore: the AWS API --------------------------------------------------------------------------

def restore(state: dict, dynamodb: Any, sqs: Any, s3: Any, now: float | None = None) -> None:
    """Create every table, queue and bucket of `state` and put back what they held."""
    now = time.time() if now is None else now
    for table in state["tables"]:
        _restore_table(dynamodb, table)
    # a queue's RedrivePolicy names its dead-letter queue, which must exist first
    for queue in sorted(state["queues"], key=lambda queue: "RedrivePolicy" in queue["attributes"]):
        _restore_queue(sqs, queue, now)
    for bucket in state["buckets"]:
        _restore_bucket(s3, bucket)


def _restore_table(dynamodb: Any, table: dict) -> None:
    name = table["definition"]["TableName"]
    definition = dict(table["definition"])
    stream = definition.pop("StreamSpecification", None)
    dynamodb.create_table(**definition)
    if table["time_to_live"]:
        dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": table["time_to_live"]})
    for chunk in _chunks(table["items"], 25):  # BatchWriteItem's limit
        pending = {name: [{"PutRequest": {"Item": _client_item(item)}} for item in chunk]}
        while pending:
            pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    if stream:  # after the items: putting them back is not a change to relay (no webhook sent twice)
        dynamodb.update_table(TableName=name, StreamSpecification=stream)


def _client_item(item: dict) -> dict:
    return {name: _client_value(value) for name, value in item.items()}


def _client_value(value: dict) -> dict:
    """A DynamoDB JSON value as boto3's client takes it: binary values as bytes."""
    (kind, inner), = value.items()
    if kind == "B":
        return {"B": base64.b64decode(inner)}
    if kind == "BS":
        return {"BS": [base64.b64decode(member) for member in inner]}
    if kind == "M":
        return {"M": _client_item(inner)}
    if kind == "L":
        return {"L": [_client_value(member) for member in inner]}
    return value


def _restore_queue(sqs: Any, queue: dict, now: float) -> None:
    url = sqs.create_queue(QueueName=queue["name"], Attributes=queue["attributes"])["QueueUrl"]
    for chunk in _chunks(queue["messages"], 10):  # SendMessageBatch's limit
        answer = sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(n), "MessageBody": message["body"],
             "DelaySeconds": min(MAX_DELAY_SECONDS, max(0, math.ceil(message["receivable_at"] - now)))}
            for n, message in enumerate(chunk)])
        if answer.get("Failed"):
            raise RuntimeError(f"queue {queue['name']}: restoring messages failed: {answer['Failed']}")


def _restore_bucket(s3: Any, bucket: dict) -> None:
    region = s3.meta.region_name
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=bucket["name"], **location)
    for stored in bucket["objects"]:
        content_type = {"ContentType": stored["content_type"]} if stored["content_type"] else {}
        s3.put_object(Bucket=bucket["name"], Key=stored["key"], Body=base64.b64decode(stored["body"]),
                      Metadata=stored["metadata"], **content_type)


def _chunks(values: list, size: int) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


# -- the file ---------------------------------------------------------------------------------------

def encode(state: dict, saved_at: datetime | None = None) -> str:
    saved_at = saved_at or datetime.now(timezone.utc)
    return json.dumps({"format": FORMAT, "version": VERSION, "saved_at": saved_at.isoformat(), **state},
                      separators=(",", ":"))


def decode(text: str, source: str) -> dict:
    """The state saved in `text`; UnreadableState (naming `source`) for anything else."""
    try:
        document = json.loads(text)
    except ValueError as error:
        raise UnreadableState(f"{source} is not JSON ({error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT or document.get("version") != VERSION:
        raise UnreadableState(f"{source} is not a version {VERSION} {FORMAT} file")
    return {kind: document[kind] for kind in ("tables", "queues", "buckets")}


def counts(state: dict) -> str:
    items = sum(len(table["items"]) for table in state["tables"])
    messages = sum(len(queue["messages"]) for queue in state["queues"])
    objects = sum(len(bucket["objects"]) for bucket in state["buckets"])
    return f"{items} items, {messages} queued messages, {objects} objects"


class StateKeeper:
    """Keeps one local AWS's state in `files`: restores it at start, saves it every `every` seconds
    when a request may have changed it since the last save, and once more at stop. A kill loses at
    most the last `every` seconds.

    `changes` counts the answered requests that may have changed state; it is read before each
    capture, so a change that lands during a capture is saved by the next one."""

    def __init__(self, files: AwsStateFiles, capture: Callable[[], dict], changes: Callable[[], int],
                 every: float) -> None:
        self._files = files
        self._capture = capture
        self._changes = changes
        self._every = every
        self._saved = -1
        self._saving = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, restore: Callable[[dict], None]) -> None:
        """Hold the files, restore what they hold (if anything), then save periodically."""
        self._files.lock()
        try:
            text = self._files.read()
            if text is not None:
                state = decode(text, str(self._files.snapshot))
                restore(state)
                log.info("restored the local AWS state from %s: %s", self._files.snapshot, counts(state))
        except BaseException:
            self._files.unlock()
            raise
        self._saved = self._changes()
        self._thread = threading.Thread(target=self._run, name="aws-state", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Save what changed since the last save and let go of the files (nothing, if never started)."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        try:
            self.save_if_changed()
        finally:
            self._files.unlock()

    def save_if_changed(self) -> bool:
        with self._saving:
            seen = self._changes()
            if seen == self._saved:
                return False
            self._files.write(encode(self._capture()))
            self._saved = seen
            return True

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self.save_if_changed()
            except Exception:  # noqa: BLE001 - keep the last good save; the next round tries again
                log.exception("saving the local AWS state failed")
