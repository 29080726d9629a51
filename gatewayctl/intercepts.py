"""Read interceptions as an operator: list a platform's, show one with its history."""
from __future__ import annotations

import json

import click

from chalicelib.domain.models import Carrier, InterceptStatus
from chalicelib.store import ListQuery


@click.group()
def intercepts() -> None:
    """List and show interceptions."""


@intercepts.command("list")
@click.option("--platform", "platform_id", required=True)
@click.option("--merchant", "merchant_id", default=None)
@click.option("--status", type=click.Choice([status.value for status in InterceptStatus]), default=None)
@click.option("--carrier", type=click.Choice([carrier.value for carrier in Carrier]), default=None)
@click.option("--limit", type=click.IntRange(1, 200), default=50, show_default=True)
@click.pass_obj
def list_intercepts(target, platform_id: str, merchant_id: str | None, status: str | None, carrier: str | None,
                    limit: int) -> None:
    """A platform's interceptions, newest first, one line each."""
    records, cursor = target.get().store.intercepts.list(ListQuery(
        platform_id=platform_id, merchant_id=merchant_id, status=InterceptStatus(status) if status else None,
        carrier=carrier, limit=limit))
    for record in records:
        click.echo(f"{record.id}  {record.created_at}  {record.carrier.value:<4} {record.tracking_no:<20} "
                   f"{record.status.value:<16} {record.refund_status.value}")
    if cursor:
        click.echo("(more: narrow with --status/--carrier/--merchant or raise --limit)")


@intercepts.command("show")
@click.argument("intercept_id")
@click.pass_obj
def show(target, intercept_id: str) -> None:
    """One interception with its event history, as JSON."""
    record = target.get().store.intercepts.get_with_history(intercept_id)
    if record is None:
        raise click.ClickException(f"no intercept {intercept_id}")
    click.echo(json.dumps(record.model_dump(mode="json"), indent=2, ensure_ascii=False))
