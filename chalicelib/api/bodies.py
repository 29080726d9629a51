"""Request bodies: JSON into a pydantic model, or a 400 that names the field and the problem.

Bodies are small documents: over MAX_BODY_BYTES is a 413 before anything is parsed, and JSON
nested deeper than Python's parser goes is a 400, not a RecursionError."""
from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from chalicelib.errors import BadRequest, PayloadTooLarge, validation_error

#: The largest body any route takes (a merchant's settings with every outlet is a few KB).
MAX_BODY_BYTES = 64 * 1024


def parse_json(raw: bytes | str | None) -> Any:
    if raw is None or raw in (b"", ""):
        raise BadRequest("request body is required", fields=[{"field": "body", "problem": "missing"}])
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"request body is larger than {MAX_BODY_BYTES} bytes",
                              fields=[{"field": "body", "problem": f"at most {MAX_BODY_BYTES} bytes"}])
    try:
        return json.loads(raw)
    except RecursionError:
        raise BadRequest("request body is nested too deeply",
                         fields=[{"field": "body", "problem": "nested too deeply"}]) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest("request body is not valid JSON",
                         fields=[{"field": "body", "problem": str(error)[:200]}]) from None


def parse_model(model: type, raw: bytes | str | None, allow_empty: bool = False):
    if allow_empty and raw in (None, b"", ""):
        data: Any = {}
    else:
        data = parse_json(raw)
    if not isinstance(data, dict):
        raise BadRequest("request body must be a JSON object", fields=[{"field": "body", "problem": "not an object"}])
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise validation_error(error) from None
