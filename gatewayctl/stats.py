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
    click.echo(f"target: {resolved.describe()}")
    for queue in resolved.queues:
        for name in (queue, dead_letter_queue(queue)):
            waiting, in_flight = resolved.sqs.depth(name)
            click.echo(f"queue {name:<28} waiting {waiting:>6}  in flight {in_flight:>6}")
    for status in sorted(OPEN, key=lambda status: status.value):
        click.echo(f"open {status.value:<16} {resolved.store.intercepts.count_open(status):>8}")
