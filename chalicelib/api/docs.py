"""GET /openapi.json and GET /docs: the API describing itself."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.responses import JSON, api

routes = Blueprint(__name__)


@routes.route("/openapi.json", methods=["GET"])
@api
def openapi_document() -> Response:
    from chalicelib.api import openapi

    return Response(body=openapi.document_json(), status_code=200, headers=JSON)


@routes.route("/docs", methods=["GET"])
def api_docs() -> Response:
    from chalicelib.api import openapi

    return Response(body=openapi.DOCS_HTML, status_code=200, headers={"Content-Type": "text/html; charset=utf-8"})
