"""The queue pump: what Lambda's SQS event source mapping does, against moto's queues.

It long-polls a queue, hands each batch to the Chalice handler as a real SQS event, and deletes
only the messages the handler did not report in `batchItemFailures`; those stay on the queue and
come back when their visibility timeout ends (or later, if the handler pushed it out).
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from local.lambda_events import LocalContext, sqs_event

log = logging.getLogger("local.pump")

Handler = Callable[[dict, Any], Any]


class QueuePump:
    def __init__(self, sqs: Any, queue_name: str, handler: Handler, batch_size: int = 10,
                 wait_seconds: int = 1) -> None:
        self._sqs = sqs
        self._queue_name = queue_name
        self._handler = handler
        self._batch_size = batch_size
        self._wait_seconds = wait_seconds
        self._url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
        self._arn = sqs.get_queue_attributes(QueueUrl=self._url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self._region = sqs.meta.region_name

    def run_once(self) -> int:
        """Receive one batch and deliver it; returns how many messages were received."""
        received = self._sqs.receive_message(
            QueueUrl=self._url, MaxNumberOfMessages=self._batch_size, WaitTimeSeconds=self._wait_seconds,
            AttributeNames=["All"], MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not received:
            return 0
        try:
            result = self._handler(sqs_event(received, self._arn, self._region), LocalContext(self._queue_name))
        except Exception:  # noqa: BLE001 - like Lambda: the whole batch returns to the queue
            log.exception("handler for %s raised; the batch stays on the queue", self._queue_name)
            return len(received)
        failed = {item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])}
        done = [message for message in received if message["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(QueueUrl=self._url, Entries=[
                {"Id": str(n), "ReceiptHandle": message["ReceiptHandle"]} for n, message in enumerate(done)])
        return len(received)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - keep pumping; moto may be shutting down
                if not stop.is_set():
                    log.exception("pump %s failed to receive", self._queue_name)
                    stop.wait(1)
