"""What every route needs: the gateway's parts, and the calling platform (or operator) from its key."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.api.responses import header

if TYPE_CHECKING:
    from chalicelib.domain.models import Platform
    from chalicelib.runtime import Gateway
    from chalicelib.store.operators import Operator


def gateway() -> Gateway:
    from chalicelib.runtime import gateway as current

    return current()


def platform(request: Any) -> Platform:
    """The platform tenant whose key the request carries (401 otherwise)."""
    from chalicelib.api.auth import authenticate

    return authenticate(gateway().api_keys, header(request.headers, "authorization"))


def operator(request: Any) -> Operator:
    """The operator whose key the request carries (401 otherwise, a platform key included)."""
    from chalicelib.api.auth import authenticate_operator

    return authenticate_operator(gateway().operator_keys, header(request.headers, "authorization"))


def body(model: type, request: Any, allow_empty: bool = False) -> Any:
    """The request body validated into `model` (400 naming each bad field)."""
    from chalicelib.api.bodies import parse_model

    return parse_model(model, request.raw_body, allow_empty=allow_empty)
