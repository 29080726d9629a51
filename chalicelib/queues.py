"""SQS: send work, read Lambda's batches and answer them partially, and push a failed message's next
delivery back (the retry backoff); for operators, a queue's depth and moving messages by hand."""
from __future__ import annotations

import contextvars
import json
import logging
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from chalicelib.observability import correlation

log = logging.getLogger(__name__)

#: SendMessageBatch takes at most 10 messages (and 256 KB, far above ours).
BATCH_LIMIT = 10


@dataclass(frozen=True)
class QueueMessage:
    """The parts of an SQS record a worker needs (built from Lambda's event)."""

    message_id: str
    receipt_handle: str
    body: str
    receive_count: int = 1


def messages_from_event(records: Iterable[Any]) -> list[QueueMessage]:
    """Chalice SQSRecord objects (or anything with the same attributes) to QueueMessages."""
    messages = []
    for record in records:
        raw = record.to_dict()
        count = raw.get("attributes", {}).get("ApproximateReceiveCount", "1")
        messages.append(QueueMessage(message_id=raw["messageId"], receipt_handle=record.receipt_handle,
                                     body=record.body, receive_count=int(count) if str(count).isdigit() else 1))
    return messages


def process_batch(messages: Iterable[QueueMessage], process: Callable[[QueueMessage], bool], *,
                  max_parallel: int, what: str) -> dict:
    """Process each message of a Lambda batch on its own, in parallel (at most `max_parallel`), and
    answer SQS with the ones to deliver again (a partial batch response).

    `process` returns True when a message is finished with; a message whose `process` returns
    False or raises fails alone. Each runs in a copy of the caller's context, so log correlation
    ids carry over into the worker threads.
    """
    from concurrent.futures import ThreadPoolExecutor  # only the queue workers pay for it

    batch = list(messages)
    if not batch:
        return {"batchItemFailures": []}

    def safely(message: QueueMessage) -> bool:
        with correlation(message_id=message.message_id):
            try:
                return process(message)
            except Exception:  # noqa: BLE001 - one bad message must not fail the batch
                log.exception(f"{what} failed", extra={"message_id": message.message_id})
                return False

    contexts = [contextvars.copy_context() for _ in batch]
    with ThreadPoolExecutor(max_workers=min(max_parallel, len(batch))) as pool:
        outcomes = list(pool.map(lambda context, message: context.run(safely, message), contexts, batch))
    return {"batchItemFailures": [{"itemIdentifier": message.message_id}
                                  for message, done in zip(batch, outcomes) if not done]}


def dispatch_message(intercept_id: str, action: str, carrier: str) -> dict:
    """A message for the dispatch worker: `action` "intercept" submits the interception, "cancel"
    withdraws it at the carrier. Naming the carrier lets the worker read each carrier's circuit
    once per batch, before it leases anything."""
    return {"intercept_id": intercept_id, "action": action, "carrier": carrier}


class QueueSendFailed(Exception):
    """SQS refused some messages of a batch; the message names them."""


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

    def send_all(self, queue: str, messages: Sequence[dict], delay_seconds: int = 0) -> None:
        """Send several messages in as few requests as SQS allows (one per 10)."""
        if len(messages) == 1:
            self.send(queue, messages[0], delay_seconds)
            return
        for start in range(0, len(messages), BATCH_LIMIT):
            chunk = messages[start:start + BATCH_LIMIT]
            answer = self._sqs.send_message_batch(QueueUrl=self.url(queue), Entries=[
                {"Id": str(n), "MessageBody": json.dumps(message, separators=(",", ":")), "DelaySeconds": delay_seconds}
                for n, message in enumerate(chunk)])
            if answer.get("Failed"):
                raise QueueSendFailed(f"{queue}: {len(answer['Failed'])} of {len(chunk)} messages refused: "
                                      + "; ".join(f"{item.get('Code')}: {item.get('Message')}"
                                                  for item in answer["Failed"]))

    def delay_retry(self, queue: str, receipt_handle: str, seconds: int) -> None:
        """Make a failed message visible again only after `seconds` (SQS caps this at 12 hours)."""
        self._sqs.change_message_visibility(QueueUrl=self.url(queue), ReceiptHandle=receipt_handle,
                                            VisibilityTimeout=max(0, min(seconds, 43_200)))

    def depth(self, queue: str) -> tuple[int, int]:
        """How many messages wait in `queue`, and how many are in flight (received, not yet deleted)."""
        attributes = self._sqs.get_queue_attributes(QueueUrl=self.url(queue), AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def receive(self, queue: str, max_messages: int, visibility_seconds: int, wait_seconds: int = 1) -> list[QueueMessage]:
        """Up to `max_messages` (at most 10) messages, hidden from other readers for `visibility_seconds`."""
        answer = self._sqs.receive_message(QueueUrl=self.url(queue), MaxNumberOfMessages=max(1, min(max_messages, 10)),
                                           WaitTimeSeconds=wait_seconds, VisibilityTimeout=visibility_seconds)
        return [QueueMessage(message_id=message["MessageId"], receipt_handle=message["ReceiptHandle"],
                             body=message["Body"]) for message in answer.get("Messages", [])]

    def send_bodies(self, queue: str, bodies: Sequence[str]) -> list[bool]:
        """Send message bodies as they are, at most 10 per request; per body, whether SQS took it."""
        taken: list[bool] = []
        for start in range(0, len(bodies), BATCH_LIMIT):
            chunk = bodies[start:start + BATCH_LIMIT]
            answer = self._sqs.send_message_batch(QueueUrl=self.url(queue), Entries=[
                {"Id": str(n), "MessageBody": body} for n, body in enumerate(chunk)])
            sent = {entry["Id"] for entry in answer.get("Successful", [])}
            taken += [str(n) in sent for n in range(len(chunk))]
        return taken

    def delete(self, queue: str, receipt_handles: Sequence[str]) -> None:
        """Delete received messages, at most 10 per request."""
        for start in range(0, len(receipt_handles), BATCH_LIMIT):
            chunk = receipt_handles[start:start + BATCH_LIMIT]
            self._sqs.delete_message_batch(QueueUrl=self.url(queue), Entries=[
                {"Id": str(n), "ReceiptHandle": handle} for n, handle in enumerate(chunk)])
