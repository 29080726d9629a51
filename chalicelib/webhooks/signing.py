"""Standard Webhooks signatures: `v1,<base64 HMAC-SHA256(key, id.timestamp.body)>`.

A secret is `whsec_` + base64 of the key bytes. While a rotated secret is still valid the message
carries one signature per secret, space separated, as the spec allows, so a platform that has not
switched yet keeps verifying.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os

SECRET_PREFIX = "whsec_"


def new_secret(random_bytes=os.urandom) -> str:
    return SECRET_PREFIX + base64.b64encode(random_bytes(32)).decode()


def signature(secret: str, message_id: str, timestamp: int, body: str) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secrets: list[str], message_id: str, timestamp: int, body: str) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(secret, message_id, timestamp, body) for secret in secrets),
        "Content-Type": "application/json",
    }
