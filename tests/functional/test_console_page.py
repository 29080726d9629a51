"""GET /console and its assets: whitelisted files with strict headers, a page that loads nothing from
elsewhere and runs no inline code, and the packaged Lambda carrying the files. (The page at work in
a browser: tests/browser/test_console.py.)"""
from __future__ import annotations

import hashlib
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from chalice.deploy.packager import BaseLambdaDeploymentPackager
from chalice.utils import OSUtils

from chalicelib import console

ROOT = Path(__file__).resolve().parents[2]
VENDOR = console.STATIC / "vendor"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.inline_code: list[str] = []
        self._open: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._open = tag

    def handle_data(self, data):
        if self._open in ("script", "style") and data.strip():
            self.inline_code.append(data.strip()[:60])

    def handle_endtag(self, tag):
        self._open = None


def _page() -> _Tags:
    parsed = _Tags()
    parsed.feed((console.STATIC / console.PAGE).read_text())
    return parsed


def test_page_loads_only_whitelisted_assets_by_relative_url_and_has_no_inline_code():
    page = _page()
    assert page.inline_code == []
    assert [(tag, name) for tag, attrs in page.tags for name in attrs if name.startswith("on") or name == "style"] == []
    loaded = [attrs.get("src") or attrs.get("href") for tag, attrs in page.tags
              if tag == "script" or (tag == "link" and attrs.get("rel") == "stylesheet")]
    assert loaded == [f"console/assets/{name}" for name in ("console.css", "i18n.js", "chart.umd.min.js", "console.js")]
    assert set(name for name in (url.rpartition("/")[2] for url in loaded)) == set(console.ASSETS)
    # navigation stays inside the page: hash links only
    assert {attrs["href"][:2] for tag, attrs in page.tags if tag == "a"} == {"#/"}


def test_script_renders_text_only_and_calls_the_api_by_relative_url():
    script = (console.STATIC / "console.js").read_text()
    for unsafe in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert unsafe not in script
    assert "localStorage" not in script  # keys: sessionStorage only
    calls = re.findall(r'call\("(?:platform|operator)", "[A-Z]+", [`"]([^`"]+)', script)
    assert calls and all(path.startswith("v1/") for path in calls)
    assert "document.baseURI" in script


def test_every_label_has_both_languages():
    strings = (console.STATIC / "i18n.js").read_text()
    english, chinese = strings.split("\n  zh: {")
    keys = lambda text: set(re.findall(r'"([a-z_]+\.[a-z_.]+|yes|no|loading|error|signout)":', text))  # noqa: E731
    assert keys(english) == keys(chinese) and len(keys(english)) > 100


def test_vendored_chart_js_is_the_noted_release_unchanged():
    note = (VENDOR / "README.md").read_text()
    digest = hashlib.sha256((VENDOR / "chart.umd.min.js").read_bytes()).hexdigest()
    assert f"`{digest}`" in note
    version = re.search(r"Chart\.js v(\d+\.\d+\.\d+)", (VENDOR / "chart.umd.min.js").read_text()[:200]).group(1)
    assert f"Chart.js {version}" in note and f"chart.js@{version}" in note
    assert "MIT" in (VENDOR / "chart.js-LICENSE.md").read_text() or "Permission is hereby granted" in (
        VENDOR / "chart.js-LICENSE.md").read_text()


def test_the_lambda_package_carries_every_served_file(tmp_path):
    archive = tmp_path / "app.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        BaseLambdaDeploymentPackager(OSUtils(), None, None)._add_app_files(zipped, str(ROOT))
    names = set(zipfile.ZipFile(archive).namelist())
    served = [console.PAGE, *(relative for relative, _ in console.ASSETS.values())]
    assert {f"chalicelib/console/static/{relative}" for relative in served} <= names


def test_page_is_served_without_a_key_with_strict_headers(client):
    response = client.http.get("/console")
    assert response.status_code == 200
    headers = response.headers
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    policy = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == policy["script-src"] == policy["style-src"] == policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["form-action"] == "'none'"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-cache"
    assert b'id="sign-in"' in response.body


@pytest.mark.parametrize("name, content_type", [("console.js", "text/javascript"), ("i18n.js", "text/javascript"),
                                                ("console.css", "text/css"), ("chart.umd.min.js", "text/javascript")])
def test_each_asset_is_served_with_its_type_and_revalidated_by_etag(client, name, content_type):
    response = client.http.get(f"/console/assets/{name}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == f"{content_type}; charset=utf-8"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    relative = console.ASSETS[name][0]
    assert response.body == (console.STATIC / relative).read_bytes()
    again = client.http.get(f"/console/assets/{name}", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.body == b""
    assert client.http.get(f"/console/assets/{name}", headers={"If-None-Match": '"stale"'}).status_code == 200


@pytest.mark.parametrize("name", ["index.html", "README.md", "chart.js-LICENSE.md", "..%2F__init__.py",
                                  "vendor%2Fchart.umd.min.js", "console.JS"])
def test_any_other_name_is_a_404(client, name):
    response = client.http.get(f"/console/assets/{name}")
    assert response.status_code == 404
    assert response.json_body["error"]["code"] == "not_found"
