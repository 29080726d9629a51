"""Run the scheduled sweeps now, instead of waiting for their schedule."""
from __future__ import annotations

import json
import uuid

import click
from chalice.utils import to_cfn_resource_name

from chalicelib.clock import SystemClock, to_iso
from chalicelib.config import DISPATCH_QUEUE, settings
from chalicelib.schedules.requeue_unsent import requeue_unsent

#: Sweep name (the app.py handler) -> how to run it in-process against the local stack.
LOCAL_SWEEPS = {
    "requeue_unsent_dispatches": lambda target: requeue_unsent(
        target.store.intercepts, target.sqs, SystemClock(), DISPATCH_QUEUE, settings().pending_requeue_after_seconds),
}


@click.group()
def sweeps() -> None:
    """Run scheduled sweeps on demand."""


@sweeps.command("run-now")
@click.argument("names", nargs=-1)
@click.pass_obj
def run_now(target, names: tuple[str, ...]) -> None:
    """Run the named sweeps (default: all) once, now.

    Locally they run in this process against the local stack's AWS; on AWS the sweep's Lambda
    function is invoked, so it runs with its own role and logs."""
    resolved = target.get()
    chosen = names or tuple(LOCAL_SWEEPS)
    unknown = [name for name in chosen if name not in LOCAL_SWEEPS]
    if unknown:
        raise click.ClickException(f"unknown sweep(s) {', '.join(unknown)}; known: {', '.join(LOCAL_SWEEPS)}")
    for name in chosen:
        click.echo(f"{name}: ", nl=False)
        if resolved.is_local:
            click.echo(f"done, result {LOCAL_SWEEPS[name](resolved)!r}")
        else:
            click.echo(_invoke(resolved, name))


def _scheduled_event(target) -> dict:
    """The shape EventBridge sends a scheduled function (Chalice parses every one of these keys)."""
    return {"version": "0", "id": f"gatewayctl-{uuid.uuid4()}", "detail-type": "Scheduled Event",
            "source": "gatewayctl", "account": "", "time": to_iso(SystemClock().now()),
            "region": target.session.region_name or "", "resources": [], "detail": {}}


def _invoke(target, name: str) -> str:
    """Invoke the sweep's function, found through the CloudFormation stack's logical id."""
    function = target.client("cloudformation").describe_stack_resource(
        StackName=target.stack_name, LogicalResourceId=to_cfn_resource_name(name),
    )["StackResourceDetail"]["PhysicalResourceId"]
    answer = target.client("lambda").invoke(FunctionName=function, InvocationType="RequestResponse",
                                            Payload=json.dumps(_scheduled_event(target)).encode())
    if answer.get("FunctionError"):
        raise click.ClickException(f"{name} failed: {answer['Payload'].read().decode()[:500]}")
    return f"invoked {function}: {answer['Payload'].read().decode()[:200]}"
