"""SQS: send work, and push a failed message's next delivery back (the retry backoff)."""
from __future__ import annotations

import json
from typing import Any


class Queues:
    def __init__(self, client: Any) -> None:
        self._sqs = client
        self._urls: dict[str, str] = {}

    def url(self, name: str) -> str:
        if name not in self._urls:
            self._urls[name] = self._sqs.get_queue_url(QueueName=name)["QueueUrl"]
        return self._urls[name]

    def send(self, queue: str, message: dict, delay_seconds: int = 0) -> None:
        self._sqs.send_message(QueueUrl=self.url(queue), MessageBody=json.dumps(message, separators=(",", ":")),
                               DelaySeconds=delay_seconds)

    def delay_retry(self, queue: str, receipt_handle: str, seconds: int) -> None:
        """Make a failed message visible again only after `seconds` (SQS caps this at 12 hours)."""
        self._sqs.change_message_visibility(QueueUrl=self.url(queue), ReceiptHandle=receipt_handle,
                                            VisibilityTimeout=max(0, min(seconds, 43_200)))
