"""Errors a caller can cause, each with its HTTP status. Mapped to responses in one place (app.py)."""
from __future__ import annotations


class GatewayError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, **details) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, **self.details}}


class BadRequest(GatewayError):
    """Malformed input; `fields` names each bad field and what is wrong with it."""


class Unauthorized(GatewayError):
    status = 401
    code = "unauthorized"


class NotFound(GatewayError):
    status = 404
    code = "not_found"


class Conflict(GatewayError):
    status = 409
    code = "conflict"

    def __init__(self, message: str, code: str = "conflict", **details) -> None:
        super().__init__(message, **details)
        self.code = code


class Ineligible(GatewayError):
    status = 422
    code = "ineligible"

    def __init__(self, reasons: list[dict]) -> None:
        super().__init__("the parcel cannot be intercepted", reasons=reasons)
        self.reasons = reasons


class Unavailable(GatewayError):
    status = 503
    code = "unavailable"


def validation_error(exc) -> BadRequest:
    """A BadRequest naming every field pydantic rejected."""
    fields = []
    for err in exc.errors(include_url=False):
        location = ".".join(str(part) for part in err["loc"]) or "body"
        fields.append({"field": location, "problem": err["msg"]})
    return BadRequest("request body is invalid", fields=fields)
