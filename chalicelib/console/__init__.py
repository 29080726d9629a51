"""The console's static files (GET /console and GET /console/assets/{name}): read from `static/`
next to this module, so the packaged Lambda serves what is in chalicelib/ (Chalice packages it whole).

Only the names in ASSETS are served; the page loads nothing from elsewhere (its Content-Security-Policy
allows this origin only), runs no inline script or style, and is kept out of caches that would serve a
stale page after a deploy (`no-cache`: revalidated with its ETag on every load).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"

PAGE = "index.html"
#: name in the URL -> file under static/ and its content type
ASSETS = {
    "console.js": ("console.js", "text/javascript; charset=utf-8"),
    "i18n.js": ("i18n.js", "text/javascript; charset=utf-8"),
    "console.css": ("console.css", "text/css; charset=utf-8"),
    "chart.umd.min.js": ("vendor/chart.umd.min.js", "text/javascript; charset=utf-8"),
}

CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
                           "form-action 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}


@dataclass(frozen=True)
class StaticFile:
    body: str
    content_type: str
    etag: str

    def headers(self) -> dict[str, str]:
        return {"Content-Type": self.content_type, "ETag": self.etag, **SECURITY_HEADERS}


@lru_cache(maxsize=None)
def _read(relative: str, content_type: str) -> StaticFile:
    body = (STATIC / relative).read_text(encoding="utf-8")
    return StaticFile(body, content_type, '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"')


def page() -> StaticFile:
    return _read(PAGE, "text/html; charset=utf-8")


def asset(name: str) -> StaticFile | None:
    """The whitelisted asset called `name`, or None (any other name, paths included)."""
    found = ASSETS.get(name)
    return _read(*found) if found else None
