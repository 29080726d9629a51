"""The `gatewayctl` command group; each concern adds its commands here."""
import click

from gatewayctl.sign import sign


@click.group()
def cli() -> None:
    """Operator commands for the Parcel Intercept Gateway."""


cli.add_command(sign)
