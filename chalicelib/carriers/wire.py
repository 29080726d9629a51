"""Small pure helpers the carrier modules share: digests, compact JSON, reading untrusted replies."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from chalicelib.carriers.base import InvalidCallback


def md5_base64(data: bytes) -> str:
    """base64 of the raw (16-byte) MD5 digest: the shape most Chinese carrier signatures take."""
    return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")


def md5_hex_upper(data: bytes) -> str:
    return hashlib.md5(data).hexdigest().upper()


def same(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a received signature with the one we computed."""
    return bool(given) and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def compact_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def form_fields(body: bytes) -> dict[str, str]:
    """A form-encoded callback body as one value per field. Raises InvalidCallback."""
    try:
        return {name: values[0] for name, values in parse_qs(body.decode("utf-8"), strict_parsing=True).items()}
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidCallback("body is not a form") from error


def json_object(body: bytes | str) -> dict[str, Any] | None:
    """A JSON object, or None for anything else (not JSON, not an object, nested too deeply)."""
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return parsed if isinstance(parsed, dict) else None


def push_object(data: bytes | str, what: str) -> dict[str, Any]:
    """A push's JSON object (read once its signature is checked). Raises InvalidCallback."""
    parsed = json_object(data)
    if parsed is None:
        raise InvalidCallback(f"{what} is not a JSON object")
    return parsed


def text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def epoch_millis(value: object, *, integer_only: bool = False) -> datetime:
    """A callback's epoch-milliseconds timestamp (int or digit string). Raises InvalidCallback.

    `integer_only` refuses the digit string too, for pushes whose JSON carries the timestamp as a
    number (ZTO): a string there is not what the carrier sends.
    """
    if isinstance(value, str) and value.isdigit() and not integer_only:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidCallback("timestamp must be epoch milliseconds" + (" (an integer)" if integer_only else ""))
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise InvalidCallback(f"timestamp {value} is out of range") from error


def lower_keys(headers: dict | Any) -> dict[str, str]:
    return {name.lower(): value for name, value in dict(headers).items()}
