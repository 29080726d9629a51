"""`gatewayctl sign <command>`: print the signature a carrier expects for the given inputs.

Like a carrier's own signature-check page: when a carrier answers "bad signature", run the same
inputs here and compare. One command per signing recipe a carrier declares (see
chalicelib/carriers/declaration.py), computed by the protocol's own signing function, not a copy.
"""
from __future__ import annotations

from types import ModuleType
from typing import Any

import click

from chalicelib.carriers import declarations
from chalicelib.carriers.declaration import CarrierDeclaration, SigningInput, SigningRecipe


@click.group()
def sign() -> None:
    """Print the signature a carrier expects for the given inputs."""


def _option(given: SigningInput, protocol: ModuleType) -> click.Option:
    if given.default_from is None:
        return click.Option([given.option], required=True, help=given.help)
    return click.Option([given.option], default=getattr(protocol, given.default_from), show_default=True,
                        help=given.help)


def signing_command(declaration: CarrierDeclaration, recipe: SigningRecipe) -> click.Command:
    protocol = declaration.load_protocol()
    options = [_option(given, protocol) for given in recipe.inputs]
    if recipe.hashed_text is not None:
        options.append(click.Option(["--verbose"], is_flag=True, help=recipe.hashed_text.help))

    def run(**values: Any) -> None:
        arguments = [values[option.name].encode("utf-8") if given.utf8 else values[option.name]
                     for given, option in zip(recipe.inputs, options)]
        if values.get("verbose"):
            click.echo(f"hashed: {getattr(protocol, recipe.hashed_text.function)(*arguments)}")
        click.echo(getattr(protocol, recipe.function)(*arguments))

    return click.Command(recipe.command, params=options, callback=run, help=recipe.doc)


for command in [signing_command(declaration, recipe) for declaration in declarations().values()
                for recipe in declaration.signing]:
    sign.add_command(command)
