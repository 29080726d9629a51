"""HTTP plumbing shared by the routes: JSON responses and the one place errors become answers."""
from __future__ import annotations

import functools
import json
import logging
from typing import Any, Callable

from chalice import Response

from chalicelib.errors import GatewayError

log = logging.getLogger(__name__)

JSON = {"Content-Type": "application/json"}


def json_response(body: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=status, headers={**JSON, **(headers or {})})


def error_response(error: GatewayError) -> Response:
    return json_response(error.body(), error.status)


def api(view: Callable[..., Response]) -> Callable[..., Response]:
    """Turn GatewayErrors into their 4xx/503 answers and anything else into a logged 500."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except GatewayError as error:
            return error_response(error)
        except Exception:  # noqa: BLE001 - the last line of defence
            log.exception("unhandled error")
            return json_response({"error": {"code": "internal_error", "message": "internal error"}}, 500)

    return wrapper


def header(headers: Any, name: str) -> str | None:
    """Case-insensitive header lookup (API Gateway and chalice local differ in casing)."""
    return next((value for key, value in dict(headers or {}).items() if key.lower() == name.lower()), None)


def routed(request: Any, get_response: Callable[[Any], Response], routes: dict) -> Response:
    """A path no route declares gets the API's 404. The HTTP API's catch-all route sends such paths
    to the function (infra/http_api.py), where Chalice would fail to look the route up (a 500); the
    REST API answered them itself, with the same 404 (infra/resources.py, GATEWAY_RESPONSES)."""
    if request is not None and request.context.get("resourcePath") not in routes:
        return json_response({"error": {"code": "not_found", "message": "no such route"}}, 404)
    return get_response(request)


#: Chalice's own refusals (before a route's view runs) -> our error codes.
_CHALICE_CODES = {"MethodNotAllowedError": "method_not_allowed", "UnsupportedMediaType": "unsupported_media_type",
                  "BadRequest": "bad_request", "NotFoundError": "not_found", "InternalServerError": "internal_error"}


def in_error_envelope(response: Response) -> Response:
    """Chalice answers a method a route does not take (405) or a content type it does not accept
    (415) with `{"Code", "Message"}`; every error of the API has one shape, `{"error": {...}}`."""
    body = response.body
    if not (isinstance(body, dict) and set(body) == {"Code", "Message"} and response.status_code >= 400):
        return response
    code = _CHALICE_CODES.get(body["Code"], "bad_request")
    headers = {name: value for name, value in (response.headers or {}).items() if name.lower() != "content-type"}
    return json_response({"error": {"code": code, "message": str(body["Message"])[:300]}}, response.status_code,
                         headers)
