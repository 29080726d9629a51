"""Platforms and their API keys. A key is shown once, when it is made; only its SHA-256 is stored."""
from __future__ import annotations

import re

import click

from chalicelib.api.auth import hash_key, new_api_key
from chalicelib.domain.models import Platform, PolicyName

#: Platform ids appear in logs, S3 export paths and every key of the tenant's items: plain ones only.
PLATFORM_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


@click.group()
def platforms() -> None:
    """Create platforms and manage their API keys."""


def _show_key_once(key: str) -> None:
    click.echo(f"API key (shown once, store it now): {key}")
    click.echo(f"fingerprint: {hash_key(key)[:12]}")


@platforms.command("create")
@click.argument("platform_id")
@click.option("--name", required=True)
@click.option("--policy", type=click.Choice([policy.value for policy in PolicyName]), required=True)
@click.pass_obj
def create(target, platform_id: str, name: str, policy: str) -> None:
    """Create PLATFORM_ID (1-64 of a-z, 0-9 and -, starting with a letter or digit) and its first API key."""
    if not PLATFORM_ID.fullmatch(platform_id):
        raise click.ClickException(f"platform id {platform_id!r} is not allowed: use 1-64 of a-z, 0-9 and -, "
                                   "starting with a letter or digit")
    platforms = target.get().store.platforms
    platform = Platform(id=platform_id, name=name, policy=PolicyName(policy))
    if not platforms.create(platform):
        raise click.ClickException(f"platform {platform_id} already exists")
    key = new_api_key()
    platforms.put_api_key(hash_key(key), platform)
    click.echo(f"platform {platform_id} created on the {target.get().describe()}")
    _show_key_once(key)


def _platform(target, platform_id: str) -> Platform:
    found = target.store.platforms.get(platform_id)
    if found is None:
        raise click.ClickException(f"no platform {platform_id}")
    return found


def platform_key_hashes(target, platform_id: str) -> list[str]:
    """Hashes of the platform's keys. Keys are addressed by hash, so this scans the key items: an
    operator's occasional command, never a request path."""
    hashes, params = [], {
        "TableName": target.table_name, "ProjectionExpression": "PK",
        "FilterExpression": "begins_with(PK, :prefix) AND platform_id = :platform",
        "ExpressionAttributeValues": {":prefix": {"S": "APIKEY#"}, ":platform": {"S": platform_id}},
    }
    while True:
        page = target.client("dynamodb").scan(**params)
        hashes += [item["PK"]["S"].split("#", 1)[1] for item in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return hashes
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@platforms.command("keys")
@click.argument("platform_id")
@click.pass_obj
def list_keys(target, platform_id: str) -> None:
    """Fingerprints of PLATFORM_ID's valid keys."""
    for key_hash in platform_key_hashes(target.get(), platform_id):
        click.echo(key_hash[:12])


@platforms.command("rotate-key")
@click.argument("platform_id")
@click.option("--revoke-old/--keep-old", default=False, show_default=True,
              help="revoke every older key now (default: keep them until `revoke-key`, so clients can switch)")
@click.pass_obj
def rotate_key(target, platform_id: str, revoke_old: bool) -> None:
    """Issue a new key for PLATFORM_ID; older keys stay valid unless --revoke-old."""
    resolved = target.get()
    platform = _platform(resolved, platform_id)
    old = platform_key_hashes(resolved, platform_id)
    key = new_api_key()
    resolved.store.platforms.put_api_key(hash_key(key), platform)
    _show_key_once(key)
    if revoke_old:
        for key_hash in old:
            _delete_key(resolved, key_hash)
        click.echo(f"revoked {len(old)} older key(s)")
    elif old:
        click.echo(f"older keys still valid: {', '.join(h[:12] for h in old)} "
                   f"(revoke with `gatewayctl platforms revoke-key {platform_id} FINGERPRINT`)")


@platforms.command("revoke-key")
@click.argument("platform_id")
@click.argument("fingerprint")
@click.pass_obj
def revoke_key(target, platform_id: str, fingerprint: str) -> None:
    """Revoke PLATFORM_ID's key whose fingerprint starts with FINGERPRINT."""
    resolved = target.get()
    matches = [h for h in platform_key_hashes(resolved, platform_id) if h.startswith(fingerprint)]
    if len(matches) != 1:
        raise click.ClickException(f"{len(matches)} keys of {platform_id} match {fingerprint!r}; need exactly one")
    _delete_key(resolved, matches[0])
    click.echo(f"revoked {matches[0][:12]}")


def _delete_key(target, key_hash: str) -> None:
    target.store.platforms.delete_api_key(key_hash)
