"""Dead-letter queues: look, and send the work back."""
from __future__ import annotations

import json

import click

from chalicelib.clock import SystemClock
from chalicelib.config import DISPATCH_QUEUE, dead_letter_queue
from chalicelib.domain import lifecycle
from chalicelib.domain.models import EventSource, InterceptStatus
from chalicelib.store import StaleState


@click.group()
def queues() -> None:
    """Inspect and redrive dead-letter queues."""


def depth(target, queue: str) -> int:
    attributes = target.client("sqs").get_queue_attributes(
        QueueUrl=target.sqs.url(queue), AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def reopen_for_dispatch(target, intercept_id: str) -> bool:
    """Put a `needs_attention` intercept back to `pending` with a fresh attempt count, so the worker
    will call the carrier again. False when it has moved on (a result or a cancel came meanwhile)."""
    record = target.store.intercepts.get(intercept_id)
    if record is None or record.status != InterceptStatus.needs_attention:
        return record is not None and record.status == InterceptStatus.pending
    now = SystemClock().now()
    try:
        target.changes.commit(lifecycle.transition(
            record, to_status=InterceptStatus.pending, source=EventSource.operator,
            reason="redriven from the dead-letter queue by an operator", now=now,
            changes={"dispatch_attempts": 0, "dispatch_lease_until": None}))
    except StaleState:
        return False
    return True


@queues.command("redrive")
@click.option("--queue", default=DISPATCH_QUEUE, show_default=True, help="the source queue; its DLQ is drained")
@click.option("--max", "max_messages", type=int, default=None, help="stop after this many messages")
@click.pass_obj
def redrive(target, queue: str, max_messages: int | None) -> None:
    """Move messages from QUEUE's dead-letter queue back to QUEUE.

    Dispatch messages reopen their intercept (needs_attention -> pending) first; a message whose
    intercept already has a result or was cancelled is dropped, since there is nothing left to do.
    """
    resolved = target.get()
    sqs, dlq = resolved.client("sqs"), dead_letter_queue(queue)
    total = depth(resolved, dlq) if max_messages is None else min(max_messages, depth(resolved, dlq))
    moved = dropped = skipped = 0
    with click.progressbar(length=total, label=f"{dlq} -> {queue}") as progress:
        while moved + dropped + skipped < total:
            batch = sqs.receive_message(QueueUrl=resolved.sqs.url(dlq), MaxNumberOfMessages=10,
                                        WaitTimeSeconds=1, VisibilityTimeout=60).get("Messages", [])
            if not batch:
                break
            for message in batch[: total - moved - dropped - skipped]:
                keep = True
                if queue == DISPATCH_QUEUE:
                    intercept_id = _intercept_id(message["Body"])
                    if intercept_id is None:  # unreadable: leave it in the DLQ for a person to look at
                        skipped += 1
                        progress.update(1)
                        continue
                    keep = reopen_for_dispatch(resolved, intercept_id)
                    body = json.dumps({"intercept_id": intercept_id, "action": "intercept"}) if keep else None
                else:
                    body = message["Body"]
                if keep:
                    sqs.send_message(QueueUrl=resolved.sqs.url(queue), MessageBody=body)
                    moved += 1
                else:
                    dropped += 1
                sqs.delete_message(QueueUrl=resolved.sqs.url(dlq), ReceiptHandle=message["ReceiptHandle"])
                progress.update(1)
    click.echo(f"redriven {moved}, dropped {dropped} (already finished), left {skipped} unreadable in {dlq}")


def _intercept_id(body: str) -> str | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data.get("intercept_id") if isinstance(data, dict) and isinstance(data.get("intercept_id"), str) else None
