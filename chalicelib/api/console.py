"""GET /console: the operations console, a static page that calls the API as any client does."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.responses import api, header
from chalicelib.errors import NotFound

routes = Blueprint(__name__)


@routes.route("/console", methods=["GET"])
@api
def console_page() -> Response:
    from chalicelib import console

    return _served(console.page())


@routes.route("/console/assets/{name}", methods=["GET"])
@api
def console_asset(name: str) -> Response:
    from chalicelib import console

    found = console.asset(name)
    if found is None:
        raise NotFound(f"no console asset {name!r}")
    return _served(found)


def _served(file) -> Response:
    if header(routes.current_request.headers, "if-none-match") == file.etag:
        return Response(body="", status_code=304, headers={"ETag": file.etag, "Cache-Control": "no-cache"})
    return Response(body=file.body, status_code=200, headers=file.headers())
