import json

import pytest

from chalicelib.api.openapi import build_document


@pytest.mark.parametrize("path", ["/openapi.json", "/docs"])
def test_document_and_docs_page_are_served_without_a_key(client, path):
    response = client.http.get(path)
    assert response.status_code == 200
    if path == "/openapi.json":
        assert json.loads(response.body) == build_document()
    else:
        assert response.headers["Content-Type"].startswith("text/html")
        assert b"openapi.json" in response.body
