"""The stream pump: what Lambda's DynamoDB stream event source mapping does, against moto's stream.

It reads the table's stream from the oldest record on, hands each batch to the Chalice handler as
a real DynamoDB stream event, and goes on after the records the handler did not report in
`batchItemFailures`: from the first reported one, that record is read again next time (as Lambda
retries a stream batch from the failed record), so nothing is skipped.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from local.lambda_events import LocalContext

log = logging.getLogger("local.stream_pump")

Handler = Callable[[dict, Any], Any]


def in_process_streams_client(region: str = "us-east-1") -> Any:
    """A DynamoDB Streams client for moto's in-process mock: botocore's default streams endpoint
    names the account, which the mock does not answer (moto's server routes by the request's
    target instead, so the stack's client needs nothing special)."""
    import boto3

    return boto3.client("dynamodbstreams", region_name=region,
                        endpoint_url=f"https://streams.dynamodb.{region}.amazonaws.com")


class StreamPump:
    def __init__(self, dynamodb: Any, streams: Any, table_name: str, handler: Handler, batch_size: int = 100,
                 idle_seconds: float = 0.2) -> None:
        self._streams = streams
        self._handler = handler
        self._batch_size = batch_size
        self._idle_seconds = idle_seconds
        self._arn = dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
        self._region = dynamodb.meta.region_name
        self._positions: dict[str, tuple[str, str]] = {}

    def run_once(self) -> int:
        """Deliver what each shard has now; returns how many records were delivered."""
        delivered = 0
        for shard in self._streams.describe_stream(StreamArn=self._arn)["StreamDescription"]["Shards"]:
            shard_id = shard["ShardId"]
            answer = self._streams.get_records(ShardIterator=self._iterator(shard_id), Limit=self._batch_size)
            records = answer.get("Records", [])
            if not records:
                continue
            event = {"Records": [self._lambda_record(record) for record in records]}
            try:
                result = self._handler(event, LocalContext("relay"))
            except Exception:  # noqa: BLE001 - like Lambda: the batch is read again
                log.exception("the stream handler raised; the batch is read again")
                result = {"batchItemFailures": [{"itemIdentifier": records[0]["dynamodb"]["SequenceNumber"]}]}
            failed = [item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])]
            if failed:
                self._positions[shard_id] = ("AT_SEQUENCE_NUMBER", failed[0])
                delivered += sum(1 for record in records
                                 if int(record["dynamodb"]["SequenceNumber"]) < int(failed[0]))
            else:
                self._positions[shard_id] = ("AFTER_SEQUENCE_NUMBER", records[-1]["dynamodb"]["SequenceNumber"])
                delivered += len(records)
        return delivered

    def _iterator(self, shard_id: str) -> str:
        """A fresh iterator at the shard's position on every read, not the previous answer's
        `NextShardIterator`: moto replaces a table's stream shard when it rolls a cancelled
        transaction back, and an iterator taken before then reads the old shard for ever. (moto keeps
        only the newest iterators: local/moto_stream_iterators.py.)"""
        position = self._positions.get(shard_id)
        if position is None:
            return self._streams.get_shard_iterator(StreamArn=self._arn, ShardId=shard_id,
                                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        kind, sequence_number = position
        return self._streams.get_shard_iterator(StreamArn=self._arn, ShardId=shard_id, ShardIteratorType=kind,
                                                SequenceNumber=sequence_number)["ShardIterator"]

    def _lambda_record(self, record: dict) -> dict:
        """A record as Lambda hands it over: with its stream's ARN, the time as epoch seconds."""
        body = dict(record["dynamodb"])
        moment = body.get("ApproximateCreationDateTime")
        if hasattr(moment, "timestamp"):
            body["ApproximateCreationDateTime"] = moment.timestamp()
        body.setdefault("SizeBytes", 0)
        return {**record, "dynamodb": body, "eventSourceARN": self._arn}

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                if not self.run_once():
                    stop.wait(self._idle_seconds)
            except Exception:  # noqa: BLE001 - keep pumping; moto may be shutting down
                if not stop.is_set():
                    log.exception("the stream pump failed to read")
                    stop.wait(1)
