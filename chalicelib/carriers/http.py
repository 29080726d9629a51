"""The one HTTP layer every carrier adapter shares: a pooled session, timeouts, transient errors.

Nothing carrier-specific lives here. A carrier's own refusals travel in 2xx/4xx bodies and are
judged by its parser; everything that says "the carrier could not answer" becomes
CarrierUnavailable so the dispatch worker retries.

`requests` is imported on the first call, not with this module: most of the gateway's Lambda
functions (the API routes that never reach a carrier, the sweeps, the webhook worker) import this
module through `app.py` and would otherwise pay for it on every cold start.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

from chalicelib.carriers.base import CarrierUnavailable

if TYPE_CHECKING:
    import requests

DEFAULT_CONNECT_TIMEOUT = 3.0
DEFAULT_READ_TIMEOUT = 10.0


class CarrierHttp:
    """One `requests.Session`, opened on the first call (connections are reused across calls in a warm Lambda)."""

    def __init__(
        self,
        *,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        session: requests.Session | None = None,
    ) -> None:
        self._session = session
        self._timeout = (connect_timeout, read_timeout)

    def post(self, url: str, *, data: bytes, headers: Mapping[str, str]) -> tuple[int, bytes]:
        """POST and return (status, body) for 2xx/4xx answers.

        Raises CarrierUnavailable on timeouts, connection errors, 5xx and any other status
        (redirects are not followed: a carrier API that redirects a POST is misconfigured).
        """
        import requests

        if self._session is None:
            self._session = requests.Session()
        try:
            response = self._session.post(
                url, data=data, headers=dict(headers), timeout=self._timeout, allow_redirects=False
            )
        except requests.Timeout as error:
            raise CarrierUnavailable(f"timeout calling {url}: {error}") from error
        except requests.RequestException as error:
            raise CarrierUnavailable(f"connection error calling {url}: {error}") from error
        status = response.status_code
        if 200 <= status < 300 or 400 <= status < 500:
            return status, response.content
        raise CarrierUnavailable(f"{url} answered HTTP {status}")

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
