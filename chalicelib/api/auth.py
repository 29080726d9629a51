"""API keys: one key is one platform tenant. Only the SHA-256 of a key is stored.

Keys are 32 random bytes, so a plain digest is enough to make a stolen table useless for calling
the API; a slow password hash would only add latency to every request.
"""
from __future__ import annotations

import hashlib
import secrets

from chalicelib.domain.models import Platform
from chalicelib.errors import Unauthorized
from chalicelib.observability import bind
from chalicelib.store.platforms import PlatformStore

KEY_PREFIX = "pig_"


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def authenticate(platforms: PlatformStore, authorization: str | None) -> Platform:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send the platform API key as 'Authorization: Bearer <key>'")
    platform = platforms.for_key(hash_key(token.strip()))
    if platform is None:
        raise Unauthorized("the API key is not valid")
    bind(platform_id=platform.id)
    return platform
