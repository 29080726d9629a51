"""No input makes a 500: every refusal is a 4xx in the API's one error shape, small whatever the
input's size, and it never echoes the Authorization header."""
from __future__ import annotations

import json

import pytest

from tests.conftest import KEY_A, auth, intercept_body, post_intercept

SECRET = KEY_A
DEEP = "[" * 100_000 + "]" * 100_000
BODY_ROUTES = [("POST", "/v1/intercepts"), ("POST", "/v1/eligibility"), ("PUT", "/v1/merchants/m-1/settings"),
               ("POST", "/v1/exports/fees"), ("PUT", "/v1/webhook-endpoint"), ("POST", "/v1/intercepts/icp_x/cancel"),
               ("POST", "/v1/intercepts/icp_x/refund-decision"), ("POST", "/v1/intercepts/icp_x/claims"),
               ("POST", "/v1/after-sale-events"), ("POST", "/local/clock")]


def call(client, method: str, path: str, body: str | bytes | None = None, content_type: str = "application/json"):
    headers = {**auth(), "Content-Type": content_type, "Idempotency-Key": "k-1"}
    response = client.http.request(method, path, headers=headers, body=body)
    assert response.status_code < 500, (method, path, response.status_code, response.body[:300])
    if response.status_code >= 400:
        error = json.loads(response.body)["error"]
        assert error["code"] and error["message"], response.body[:300]
        assert SECRET.encode() not in response.body
    return response


@pytest.mark.parametrize("method, path", BODY_ROUTES)
def test_json_nested_beyond_the_parser_is_a_400(client, method, path):
    response = call(client, method, path, DEEP.encode()[:60_000])
    assert response.status_code in (400, 404)


@pytest.mark.parametrize("carrier", ["zto", "yto", "sto", "jt", "sf"])
def test_a_deeply_nested_push_is_refused_not_a_crash(client, gw, carrier):
    from chalicelib.carriers import build_adapters

    gw.adapters = build_adapters({code: {"base_url": "http://unused", **values}
                                  for code, values in _credentials().items()}, http=None)
    for content_type, body in (("application/json", DEEP), ("application/x-www-form-urlencoded",
                                                             "param=" + DEEP[:20_000] + "&sign=x")):
        response = client.http.post(f"/callbacks/{carrier}", headers={"Content-Type": content_type}, body=body)
        assert 400 <= response.status_code < 500


def _credentials() -> dict:
    from local.stack import _new_credentials

    return _new_credentials()


def test_a_body_over_the_limit_is_a_413(client):
    response = call(client, "POST", "/v1/intercepts", json.dumps(intercept_body(reason="x" * 70_000)))
    assert response.status_code == 413
    assert json.loads(response.body)["error"]["code"] == "payload_too_large"


def test_an_error_names_few_fields_and_shortens_long_names(client):
    body = {**intercept_body(), **{f"field_{n}": n for n in range(3_000)}, "y" * 20_000: 1}
    response = call(client, "POST", "/v1/eligibility", json.dumps(body))
    assert response.status_code in (400, 413)
    assert len(response.body) < 8_000
    response = call(client, "POST", "/v1/eligibility", json.dumps({**intercept_body(), "y" * 20_000: 1}))
    error = json.loads(response.body)["error"]
    assert response.status_code == 400 and max(len(item["field"]) for item in error["fields"]) <= 100


@pytest.mark.parametrize("period", ["0001-01", "0001-01-01", "9999-12", "9999-12-31", "2026-11\n", "2026-11-22\n",
                                    "２０２６-11", "2026-13", "2026-02-30"])
def test_export_periods_at_the_edges_of_the_calendar_are_400(client, period):
    response = call(client, "POST", "/v1/exports/fees", json.dumps({"period": period}))
    assert response.status_code == 400
    assert call(client, "GET", f"/v1/exports/fees/{period.strip()}").status_code in (400, 404)


@pytest.mark.parametrize("query", ["created_from=0001-01-01T00:00:00%2B08:00", "created_to=9999-12-31T23:59:59-08:00",
                                   "limit=%C2%B2", "limit=99999999999999999999", "created_from=%EF%BC%92"])
def test_query_values_at_the_edges_are_400(client, query):
    assert call(client, "GET", f"/v1/intercepts?{query}").status_code == 400


@pytest.mark.parametrize("query", ["from=0001-01-01T00:00:00%2B08:00&to=2026-11-23T00:00:00Z",
                                   "from=2026-11-01T00:00:00Z&to=9999-12-31T23:59:59-08:00"])
def test_metric_ranges_at_the_edges_are_400(client, query):
    assert call(client, "GET", f"/v1/merchants/demo-merchant/metrics?{query}").status_code == 400


def test_a_settings_version_too_large_to_store_is_400(client):
    response = call(client, "PUT", "/v1/merchants/m-1/settings", json.dumps({"version": 10 ** 40}))
    assert response.status_code == 400
    assert "version" in [item["field"] for item in json.loads(response.body)["error"]["fields"]]


def test_a_signing_date_outside_the_calendar_is_400(client):
    response = call(client, "PUT", "/v1/merchants/m-1/settings",
                    json.dumps({"agreement_signed_at": "0001-01-01T00:00:00+08:00"}))
    assert response.status_code == 400


def test_methods_and_content_types_a_route_does_not_take_are_in_the_error_shape(client):
    assert call(client, "DELETE", "/v1/intercepts").status_code == 405
    assert call(client, "POST", "/v1/intercepts", "<x/>", content_type="application/xml").status_code == 415


def test_a_valid_create_still_succeeds(client):
    assert post_intercept(client, intercept_body()).status_code == 202
