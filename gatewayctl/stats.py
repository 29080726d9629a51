"""Operational numbers at a glance: queue depths and open interceptions by status."""
from __future__ import annotations

import click

from chalicelib.config import dead_letter_queue
from chalicelib.domain.lifecycle import OPEN


@click.command()
@click.pass_obj
def stats(target) -> None:
    """Queue and DLQ depths, and how many interceptions wait in each open status."""
    resolved = target.get()
    sqs = resolved.client("sqs")
    click.echo(f"target: {resolved.describe()}")
    for queue in resolved.queues:
        for name in (queue, dead_letter_queue(queue)):
            attributes = sqs.get_queue_attributes(QueueUrl=resolved.sqs.url(name), AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            click.echo(f"queue {name:<28} waiting {attributes['ApproximateNumberOfMessages']:>6}  "
                       f"in flight {attributes['ApproximateNumberOfMessagesNotVisible']:>6}")
    for status in sorted(OPEN, key=lambda status: status.value):
        click.echo(f"open {status.value:<16} {resolved.store.intercepts.count_open(status):>8}")
