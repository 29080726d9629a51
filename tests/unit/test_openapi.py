"""The OpenAPI document names exactly the app's routes, and its schemas are valid OpenAPI 3.1."""
from __future__ import annotations

from openapi_spec_validator import validate

from app import app
from chalicelib.api.openapi import OPERATIONS, Operation, build_document


def _app_operations() -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, methods in app.routes.items() for method in methods}


def _documented(document: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, methods in document["paths"].items() for method in methods}


def test_every_route_is_documented_and_every_documented_route_exists():
    document = build_document()
    assert _documented(document) - _app_operations() == set(), "documented routes the app does not have"
    assert _app_operations() - _documented(document) == set(), "routes missing from chalicelib/openapi.py"


def test_a_missing_or_extra_entry_is_detected():
    missing = build_document([op for op in OPERATIONS if op.path != "/health"])
    assert _app_operations() - _documented(missing) == {("GET", "/health")}
    extra = build_document([*OPERATIONS, Operation("DELETE", "/v1/intercepts/{intercept_id}", "no such route")])
    assert _documented(extra) - _app_operations() == {("DELETE", "/v1/intercepts/{intercept_id}")}


def test_document_is_valid_openapi_3_1_with_auth_and_error_schemas():
    document = build_document()
    validate(document)
    create = document["paths"]["/v1/intercepts"]["post"]
    assert create["security"] == [{"platformKey": []}]
    assert set(create["responses"]) == {"202", "400", "401", "409", "422"}
    assert document["components"]["schemas"]["CreateInterceptRequest"]["additionalProperties"] is False
    assert "platform_id" not in document["components"]["schemas"]["InterceptView"]["properties"]
