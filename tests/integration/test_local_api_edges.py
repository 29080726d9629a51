"""The local stack answers where API Gateway would (unknown routes and methods, broken framing) in
the API's error shape, and never echoes the Authorization header."""
from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import pytest
import requests

from tests.integration.test_local_stack import KEY, stack  # noqa: F401 - the fixture starts the stack

pytestmark = pytest.mark.integration
SECRET = "Bearer pig_this-must-never-come-back"


def _error(response) -> dict:
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()["error"]


def test_an_unknown_route_is_a_404_that_does_not_echo_the_key(stack):  # noqa: F811
    response = requests.get(f"{stack}/v2/nothing-here", headers={"Authorization": SECRET}, timeout=10)
    assert response.status_code == 404 and _error(response)["code"] == "not_found"
    assert "pig_" not in response.text


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "DELETE"])
def test_a_method_no_route_takes_is_a_405(stack, method):  # noqa: F811
    response = requests.request(method, f"{stack}/v1/intercepts", headers={"Authorization": SECRET}, timeout=10)
    assert response.status_code == 405 and _error(response)["code"] == "method_not_allowed"
    assert "pig_" not in response.text


def _raw(url: str, request: bytes) -> bytes:
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


@pytest.mark.parametrize("length, status", [("abc", 400), ("99999999999", 413)])
def test_a_broken_or_huge_content_length_is_refused_unread(stack, length, status):  # noqa: F811
    answer = _raw(stack, f"POST /v1/intercepts HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n"
                         f"Authorization: {SECRET}\r\n\r\n{{}}".encode())
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split()[1] == str(status).encode()
    assert json.loads(body)["error"]["code"] in ("bad_request", "payload_too_large")
    assert b"pig_" not in answer


def test_the_key_is_not_echoed_by_any_refusal(stack):  # noqa: F811
    headers = {"Authorization": SECRET, "Content-Type": "application/json"}
    for method, path, body in (("POST", "/v1/intercepts", "{"), ("GET", "/v1/intercepts/icp_x", None),
                               ("POST", "/v1/eligibility", "[" * 5000), ("GET", "/v1/intercepts?limit=0", None)):
        response = requests.request(method, f"{stack}{path}", headers=headers, data=body, timeout=10)
        assert 400 <= response.status_code < 500 and "pig_" not in response.text, (method, path)
