"""The local stack's HTTP API: chalice local's server, answering where API Gateway itself would
the way the deployed gateway's responses do (see infra/resources.py, `gateway_responses`).

chalice local answers an unknown route with a 403 that echoes the request's Authorization header,
a method no handler takes (TRACE, ...) with a 501 page, and reads any Content-Length it is given.
Here: an unknown route is a 404, an unknown method a 405, an unreadable Content-Length a 400 and
a body over API Gateway's 10 MB a 413, each in the API's `{"error": {...}}` envelope, and nothing
of the request is echoed.

chalice local serves each request on a thread of its own, but the app keeps the request being
handled (`app.current_request`) in one attribute, where Lambda runs one request per container at a
time: two concurrent requests would read each other's body and headers. `api_server` keeps it per
thread.
"""
from __future__ import annotations

import json
import re
import threading
from typing import Any

from chalice.local import (
    ChaliceRequestHandler,
    ForbiddenError,
    LocalDevServer,
    LocalGatewayException,
    RouteMatcher,
)

#: API Gateway's payload limit.
MAX_BODY_BYTES = 10 * 1024 * 1024
_LENGTH = re.compile(r"[0-9]{1,12}")


class GatewayRequestHandler(ChaliceRequestHandler):
    def _generic_handle(self) -> None:
        length = self.headers.get("content-length", "0").strip()
        if not _LENGTH.fullmatch(length):
            return self._refuse(400, "bad_request", "the Content-Length header is not a number")
        if int(length) > MAX_BODY_BYTES:
            return self._refuse(413, "payload_too_large", f"request bodies are at most {MAX_BODY_BYTES} bytes")
        super()._generic_handle()

    # chalice binds its methods to its own _generic_handle: bind them to this one
    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle

    def _send_error_response(self, error: LocalGatewayException) -> None:
        if isinstance(error, ForbiddenError):  # chalice local's answer for a route that does not exist
            return self._refuse(404, "not_found", "no such route")
        super()._send_error_response(error)

    def _method_not_allowed(self) -> None:
        try:
            route = RouteMatcher(list(self.local_gateway._app_object.routes)).match_route(self.path).route
        except ValueError:
            return self._refuse(404, "not_found", "no such route")
        allowed = ", ".join(sorted(self.local_gateway._app_object.routes[route]))
        self._refuse(405, "method_not_allowed", f"method {self.command} is not supported", {"Allow": allowed})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):  # every method no route handler takes
            return self._method_not_allowed
        raise AttributeError(name)

    def _refuse(self, status: int, code: str, message: str, headers: dict | None = None) -> None:
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        self.close_connection = True  # what was sent of the body is not read
        self._send_http_response(status, {"Content-Type": "application/json", "Connection": "close",
                                          **(headers or {})}, body)


class _PerThread(threading.local):
    current_request: Any = None
    lambda_context: Any = None


def _per_thread(name: str) -> property:
    def get(app: Any) -> Any:
        return getattr(app._per_thread, name)

    def set_(app: Any, value: Any) -> None:
        setattr(app._per_thread, name, value)

    return property(get, set_)


def requests_per_thread(app: Any) -> None:
    """Keep `app.current_request` and `app.lambda_context` per thread (idempotent)."""
    if "_per_thread" in vars(app):
        return
    cls = type(app)
    app.__class__ = type(f"PerThread{cls.__name__}", (cls,), {
        "current_request": _per_thread("current_request"), "lambda_context": _per_thread("lambda_context")})
    app._per_thread = _PerThread()
    for name in ("current_request", "lambda_context"):
        vars(app).pop(name, None)


def api_server(app: Any, config: Any, host: str, port: int) -> LocalDevServer:
    requests_per_thread(app)
    return LocalDevServer(app, config, host, port, handler_cls=GatewayRequestHandler)
