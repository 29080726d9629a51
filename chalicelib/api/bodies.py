"""Request bodies: JSON into a pydantic model, or a 400 that names the field and the problem."""
from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from chalicelib.errors import BadRequest, validation_error


def parse_json(raw: bytes | str | None) -> Any:
    if raw is None or raw in (b"", ""):
        raise BadRequest("request body is required", fields=[{"field": "body", "problem": "missing"}])
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest("request body is not valid JSON", fields=[{"field": "body", "problem": str(error)}])


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
