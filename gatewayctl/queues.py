"""Dead-letter queues: look, and send the work back (chalicelib/operations/redrive.py, as the
operator route does)."""
from __future__ import annotations

import click

from chalicelib.clock import SystemClock
from chalicelib.config import DISPATCH_QUEUE, NOTIFY_QUEUE, dead_letter_queue
from chalicelib.operations.redrive import Redrive


@click.group()
def queues() -> None:
    """Inspect and redrive dead-letter queues."""


def depth(target, queue: str) -> int:
    return target.sqs.depth(queue)[0]


@queues.command("redrive")
@click.option("--queue", default=DISPATCH_QUEUE, show_default=True, help="the source queue; its DLQ is drained")
@click.option("--max", "max_messages", type=int, default=None, help="stop after this many messages")
@click.pass_obj
def redrive(target, queue: str, max_messages: int | None) -> None:
    """Move messages from QUEUE's dead-letter queue back to QUEUE.

    Dispatch messages reopen their intercept (needs_attention -> pending) first; a message whose
    intercept already has a result or was cancelled is dropped, since there is nothing left to do.
    Notify messages reopen their exhausted webhook delivery (sent again, with a new retry window).
    """
    resolved = target.get()
    dlq = dead_letter_queue(queue)
    total = depth(resolved, dlq) if max_messages is None else min(max_messages, depth(resolved, dlq))
    mover = Redrive(resolved.sqs, resolved.store.intercepts, resolved.store.deliveries, resolved.changes, SystemClock(),
                    dispatch_queue=DISPATCH_QUEUE, notify_queue=NOTIFY_QUEUE)
    with click.progressbar(length=total, label=f"{dlq} -> {queue}") as progress:
        result = mover.run(queue, total, progress.update)
    click.echo(f"redriven {result.moved}, dropped {result.dropped} (already finished), left {result.left} in {dlq} "
               "(unreadable, or a withdrawal to confirm by hand)")
