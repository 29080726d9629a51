"""Operators' keys (the /v1/operations routes). A key is shown once, when it is made; only its
SHA-256 is stored, in an item kind of its own: it opens no platform route."""
from __future__ import annotations

import click

from chalicelib.api.auth import hash_key, new_operator_key
from chalicelib.clock import SystemClock, to_iso
from chalicelib.store import keys
from chalicelib.store.operators import Operator


@click.group()
def operators() -> None:
    """Create and revoke operator keys."""


@operators.command("create-key")
@click.argument("name")
@click.pass_obj
def create_key(target, name: str) -> None:
    """Issue an operator key for NAME (who holds it: a person or the on-call rota)."""
    resolved = target.get()
    key = new_operator_key()
    resolved.store.operators.put_key(hash_key(key), Operator(name=name), to_iso(SystemClock().now()))
    click.echo(f"operator key for {name} on the {resolved.describe()} (shown once, store it now): {key}")
    click.echo(f"fingerprint: {hash_key(key)[:12]}")


def operator_key_hashes(target) -> dict[str, str]:
    """Every operator key's hash, with its holder's name. A scan of the key items: an operator's
    occasional command, never a request path."""
    found, params = {}, {
        "TableName": target.table_name, "ProjectionExpression": "PK, #name",
        "ExpressionAttributeNames": {"#name": "name"}, "FilterExpression": "begins_with(PK, :prefix)",
        "ExpressionAttributeValues": {":prefix": {"S": keys.OPERATOR_KEY_PREFIX}},
    }
    while True:
        page = target.client("dynamodb").scan(**params)
        found.update({item["PK"]["S"].removeprefix(keys.OPERATOR_KEY_PREFIX): item["name"]["S"]
                      for item in page.get("Items", [])})
        if "LastEvaluatedKey" not in page:
            return found
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@operators.command("keys")
@click.pass_obj
def list_keys(target) -> None:
    """Fingerprints of the valid operator keys, with their holders."""
    for key_hash, name in sorted(operator_key_hashes(target.get()).items(), key=lambda pair: pair[1]):
        click.echo(f"{key_hash[:12]}  {name}")


@operators.command("revoke-key")
@click.argument("fingerprint")
@click.pass_obj
def revoke_key(target, fingerprint: str) -> None:
    """Revoke the operator key whose fingerprint starts with FINGERPRINT (stops working within a minute)."""
    resolved = target.get()
    matches = [key_hash for key_hash in operator_key_hashes(resolved) if key_hash.startswith(fingerprint)]
    if len(matches) != 1:
        raise click.ClickException(f"{len(matches)} operator keys match {fingerprint!r}; need exactly one")
    resolved.store.operators.delete_key(matches[0])
    click.echo(f"revoked {matches[0][:12]}")
