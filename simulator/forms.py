"""Reading form bodies the way the carriers' servers do (first value of each field)."""
from __future__ import annotations

from urllib.parse import parse_qs


def read_form(body: bytes) -> dict[str, str] | None:
    try:
        return {name: values[0] for name, values in parse_qs(body.decode("utf-8"), strict_parsing=True).items()}
    except (UnicodeDecodeError, ValueError):
        return None
