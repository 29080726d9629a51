"""`gatewayctl sign <carrier>`: print the signature a carrier expects for the given inputs.

Like a carrier's own signature-check page: when a carrier answers "bad signature", run the same
inputs here and compare. The computation is the adapter's own signing function, not a copy.
"""
from __future__ import annotations

import click

from chalicelib.carriers import jt, kuaidi100, sf, sto, yto, zto


@click.group()
def sign() -> None:
    """Print the signature a carrier expects for the given inputs."""


@sign.command("sf")
@click.option("--msg-data", required=True, help="the msgData JSON exactly as sent")
@click.option("--timestamp", required=True, help="the timestamp form field (epoch ms)")
@click.option("--check-word", required=True, help="the partner's checkWord")
@click.option("--verbose", is_flag=True, help="also print the URL-encoded text that is hashed")
def sign_sf(msg_data: str, timestamp: str, check_word: str, verbose: bool) -> None:
    """msgDigest = base64(md5(java_urlencode(msgData + timestamp + checkWord)))."""
    if verbose:
        click.echo(f"hashed: {sf.java_urlencode(msg_data + timestamp + check_word)}")
    click.echo(sf.sign(msg_data, timestamp, check_word))


@sign.command("zto")
@click.option("--body", required=True, help="the request body exactly as sent (UTF-8)")
@click.option("--app-secret", required=True)
def sign_zto(body: str, app_secret: str) -> None:
    """x-datadigest = base64(md5(body + appSecret))."""
    click.echo(zto.sign(body.encode("utf-8"), app_secret))


@sign.command("yto")
@click.option("--param", required=True, help="the param JSON exactly as sent")
@click.option("--method", required=True)
@click.option("--version", "version", default=yto.VERSION, show_default=True, help="the v form field")
@click.option("--secret", required=True)
def sign_yto(param: str, method: str, version: str, secret: str) -> None:
    """sign = base64(md5(param + method + v + secret))."""
    click.echo(yto.sign(param, method, version, secret))


@sign.command("sto")
@click.option("--content", required=True, help="the content JSON exactly as sent")
@click.option("--secret", required=True)
def sign_sto(content: str, secret: str) -> None:
    """data_digest = base64(md5(content + secret))."""
    click.echo(sto.sign(content, secret))


@sign.command("jt")
@click.option("--biz-content", required=True, help="the bizContent JSON exactly as sent")
@click.option("--private-key", required=True)
def sign_jt(biz_content: str, private_key: str) -> None:
    """digest = base64(md5(bizContent + privateKey))."""
    click.echo(jt.sign(biz_content, private_key))


@sign.command("kuaidi100")
@click.option("--param", required=True, help="the param JSON exactly as sent")
@click.option("--t", "t", required=True, help="the t form field (epoch ms)")
@click.option("--key", required=True)
@click.option("--secret", required=True)
def sign_kuaidi100(param: str, t: str, key: str, secret: str) -> None:
    """sign = UPPER(md5_hex(param + t + key + secret)) for the order API."""
    click.echo(kuaidi100.sign(param, t, key, secret))


@sign.command("kuaidi100-callback")
@click.option("--param", required=True, help="the pushed param JSON exactly as received")
@click.option("--salt", required=True, help="the salt sent with the interception")
def sign_kuaidi100_callback(param: str, salt: str) -> None:
    """sign = UPPER(md5_hex(param + salt)), how kuaidi100 signs its callbacks."""
    click.echo(kuaidi100.push_sign(param, salt))
