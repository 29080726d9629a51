"""Errors a caller can cause, each with its HTTP status. Mapped to responses in one place (app.py)."""
from __future__ import annotations

import re


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

    def __init__(self, reasons: list[dict], **details) -> None:
        super().__init__("the parcel cannot be intercepted" if not details else
                         "no parcel of the after-sale can be intercepted", reasons=reasons, **details)
        self.reasons = reasons


class PayloadTooLarge(GatewayError):
    status = 413
    code = "payload_too_large"


class Unavailable(GatewayError):
    status = 503
    code = "unavailable"


#: An error names at most this many fields, each in at most so many characters: a body with
#: 20,000 bad fields, or a 1 MB field name, must not make a 1 MB error.
MAX_FIELDS_NAMED = 20
MAX_NAME_CHARS = 100
MAX_PROBLEM_CHARS = 300


def validation_error(exc) -> BadRequest:
    """A BadRequest naming the fields pydantic rejected (the first MAX_FIELDS_NAMED)."""
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    fields = [_named(".".join(str(part) for part in err["loc"]), err["msg"]) for err in errors[:MAX_FIELDS_NAMED]]
    details = {"more_fields": len(errors) - MAX_FIELDS_NAMED} if len(errors) > MAX_FIELDS_NAMED else {}
    return BadRequest("request body is invalid", fields=fields, **details)


def _named(location: str, message: str) -> dict:
    """A rejected field; a rule over several fields names its field first (`Value error, amount: ...`)."""
    if not location:
        named = re.match(r"Value error, ([a-z_]+): (.*)", message, re.S)
        if named:
            location, message = named.group(1), named.group(2)
    return {"field": shortened(location or "body", MAX_NAME_CHARS), "problem": shortened(message, MAX_PROBLEM_CHARS)}


def shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
