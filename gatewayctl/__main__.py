from gatewayctl.cli import cli

cli()
