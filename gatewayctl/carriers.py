"""`gatewayctl carriers [--json]`: what every carrier declares (chalicelib/carriers/<code>/__init__.py).

The tables printed are the ones in docs/carriers.md, where a test keeps them equal to this output.
"""
from __future__ import annotations

import json
from dataclasses import fields
from typing import Any, Iterable, Mapping

import click

from chalicelib.carriers import declarations, routes_to
from chalicelib.carriers.declaration import CarrierDeclaration, Sources


def _row(cells: Iterable[object]) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _table(header: list[str], rows: Iterable[Iterable[object]]) -> list[str]:
    return [_row(header), _row("---" for _ in header), *(_row(row) for row in rows)]


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def markdown_tables(found: Iterable[CarrierDeclaration]) -> str:
    """What each carrier offers, then where each part of its protocol comes from."""
    found = list(found)
    offers = _table(
        ["code", "name", "kind", "redirect", "cancel", "status query", "results by", "reaches", "reached by",
         "list price (fen)", "simulator", "`gatewayctl sign`"],
        ([f"`{d.code}`", f"{d.names.zh} {d.names.en}", d.kind, _yes(d.can_redirect), _yes(d.can_withdraw),
          _yes(d.can_poll), ", ".join(d.results_by),
          ", ".join(f"`{code}` ({company})" for code, company in d.reaches.items()),
          ", ".join(f"`{route}`" for route in routes_to(d.code)) if d.kind == "carrier" else "",
          "" if d.list_price is None else d.list_price, f"`{d.simulator}`" if d.simulator else "",
          ", ".join(f"`{recipe.command}`" for recipe in d.signing)] for d in found))
    sources = _table(["code", *Sources._fields], ([f"`{d.code}`", *d.sources] for d in found))
    return "\n".join([*offers, "", *sources]) + "\n"


def _plain(value: Any) -> Any:
    """A declaration's value as JSON values: its parts (NamedTuples) and mappings as objects."""
    if hasattr(value, "_asdict"):
        return {name: _plain(part) for name, part in value._asdict().items()}
    if isinstance(value, Mapping):
        return {name: _plain(part) for name, part in value.items()}
    if isinstance(value, tuple):
        return [_plain(part) for part in value]
    return value


def as_json(declaration: CarrierDeclaration) -> dict[str, Any]:
    described = {part.name: _plain(getattr(declaration, part.name)) for part in fields(declaration)}
    described["routes"] = routes_to(declaration.code) if declaration.kind == "carrier" else []
    described["settings"] = None if declaration.via_only else {
        "class": declaration.settings, "fields": [part.name for part in fields(declaration.load_settings())]}
    return described


@click.command("carriers")
@click.option("--json", "json_output", is_flag=True, help="every field of every declaration, as JSON")
def carriers(json_output: bool) -> None:
    """The declared carriers and aggregators: what they offer and where their protocols come from."""
    found = declarations().values()
    if json_output:
        click.echo(json.dumps([as_json(declaration) for declaration in found], ensure_ascii=False, indent=2))
    else:
        click.echo(markdown_tables(found), nl=False)
