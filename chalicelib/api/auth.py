"""API keys: one key is one platform tenant, or one operator (the on-call view of every platform,
/v1/operations). The two are separate item kinds: a platform key is no operator key and an operator
key opens no platform route. Only the SHA-256 of a key is stored.

Keys are 32 random bytes, so a plain digest is enough to make a stolen table useless for calling
the API; a slow password hash would only add latency to every request.
"""
from __future__ import annotations

import hashlib
import secrets

from chalicelib.clock import Clock
from chalicelib.domain.models import Platform
from chalicelib.errors import Unauthorized
from chalicelib.observability import bind
from chalicelib.store.operators import Operator, OperatorStore
from chalicelib.store.platforms import PlatformStore
from chalicelib.ttl_cache import TtlCache

KEY_PREFIX = "pig_"
OPERATOR_KEY_PREFIX = "pigop_"
#: How long a container trusts a key it has read: a revoked key stops working within this.
API_KEY_CACHE_SECONDS = 60


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def new_operator_key() -> str:
    return OPERATOR_KEY_PREFIX + secrets.token_urlsafe(32)


class ApiKeys:
    """The platform of an API key, read at most once a minute per container (the key's item is read
    by every request: at peak, one hot item)."""

    def __init__(self, platforms: PlatformStore, clock: Clock, ttl_seconds: float = API_KEY_CACHE_SECONDS) -> None:
        self._platforms = platforms
        self._cache: TtlCache[Platform] = TtlCache(clock, ttl_seconds)

    def platform_for(self, key_hash: str) -> Platform | None:
        return self._cache.get(key_hash, lambda: self._platforms.for_key(key_hash))


class OperatorKeys:
    """The operator of a key, read at most once a minute per container, like platform keys."""

    def __init__(self, operators: OperatorStore, clock: Clock, ttl_seconds: float = API_KEY_CACHE_SECONDS) -> None:
        self._operators = operators
        self._cache: TtlCache[Operator] = TtlCache(clock, ttl_seconds)

    def operator_for(self, key_hash: str) -> Operator | None:
        return self._cache.get(key_hash, lambda: self._operators.for_key(key_hash))


def authenticate(api_keys: ApiKeys, authorization: str | None) -> Platform:
    platform = api_keys.platform_for(hash_key(_bearer(authorization, "platform API key")))
    if platform is None:
        raise Unauthorized("the API key is not valid")
    bind(platform_id=platform.id)
    return platform


def authenticate_operator(operator_keys: OperatorKeys, authorization: str | None) -> Operator:
    operator = operator_keys.operator_for(hash_key(_bearer(authorization, "operator key")))
    if operator is None:
        raise Unauthorized("the operator key is not valid (a platform API key is not an operator key)")
    bind(operator=operator.name)
    return operator


def _bearer(authorization: str | None, what: str) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(f"send the {what} as 'Authorization: Bearer <key>'")
    return token.strip()
