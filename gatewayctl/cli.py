"""`gatewayctl`: the operator's command line. Every command works on the local stack by default
(`make run`), or on a deployed stage with `--stage dev|prod [--profile P] [--region R]`."""
from __future__ import annotations

import click

from gatewayctl.carriers import carriers
from gatewayctl.intercepts import intercepts
from gatewayctl.operators import operators
from gatewayctl.platforms import platforms
from gatewayctl.queues import queues
from gatewayctl.sign import sign
from gatewayctl.stats import stats
from gatewayctl.sweeps import sweeps
from gatewayctl.target import LazyTarget, aws_target, local_target


@click.group()
@click.option("--stage", default="local", show_default=True, type=click.Choice(["local", "dev", "prod"]),
              help="local: the stack `make run` started; dev/prod: the deployed CloudFormation stack")
@click.option("--profile", default=None, help="AWS profile (dev/prod)")
@click.option("--region", default=None, help="AWS region (dev/prod)")
@click.option("--stack-name", default=None, help="CloudFormation stack (default parcel-intercept-gateway-<stage>)")
@click.option("--endpoint", default=None, help="AWS endpoint of a local stack (default: read from .local/stack.json)")
@click.pass_context
def cli(ctx: click.Context, stage: str, profile: str | None, region: str | None, stack_name: str | None,
        endpoint: str | None) -> None:
    """Operate the Parcel Intercept Gateway."""
    if ctx.obj is not None:  # already given (tests)
        return
    if stage == "local":
        ctx.obj = LazyTarget(lambda: local_target(endpoint=endpoint))
    else:
        ctx.obj = LazyTarget(lambda: aws_target(stage, profile, region, stack_name))


cli.add_command(platforms)
cli.add_command(operators)
cli.add_command(intercepts)
cli.add_command(queues)
cli.add_command(sweeps)
cli.add_command(stats)
cli.add_command(sign)
cli.add_command(carriers)
