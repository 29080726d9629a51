"""The console in a real headless Chromium (Debian's `chromium`, driven by Playwright) against the
local stack: sign in, search, open a record, cancel it through the confirmation, see a chart drawn
from the metrics API, switch to Chinese. Screenshots go to artifacts/console/.

Without a Chromium the tests skip, except where the environment asks for the browser (CI=true or
REQUIRE_BROWSER=1, as .ci/run sets): there a missing Chromium fails.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
import requests

from tests.integration.test_local_stack import ROOT, StackProcess, _create, _wait_for

pytestmark = pytest.mark.integration

KEY = "demo-key"
OPERATOR_KEY = "demo-operator-key"
MERCHANT = "demo-merchant"
ARTIFACTS = ROOT / "artifacts" / "console"
#: long enough for the browser to cancel a `submitted` record before the simulator calls back
CALLBACK_DELAY = 12


def _chromium() -> str | None:
    named = os.environ.get("CHROMIUM")
    return named if named and Path(named).is_file() else shutil.which("chromium")


def _browser_required() -> bool:
    return os.environ.get("REQUIRE_BROWSER") == "1" or os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="module")
def chromium_path() -> str:
    found = _chromium()
    if found is None:
        message = "no Chromium: install Debian's `chromium` (apt-get install chromium) or set CHROMIUM to its path"
        if _browser_required():
            pytest.fail(f"{message}; the browser tests are required here (CI or REQUIRE_BROWSER=1)")
        pytest.skip(message)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if _browser_required():
            pytest.fail("playwright is not installed (requirements-dev.txt)")
        pytest.skip("playwright is not installed (pip install -r requirements-dev.txt)")
    return found


@pytest.fixture(scope="module")
def stack(chromium_path):
    with tempfile.TemporaryDirectory(prefix="local-state-") as state_dir:
        process = StackProcess(Path(state_dir), {"DEMO_API_KEY": KEY, "SIM_CALLBACK_DELAY": str(CALLBACK_DELAY)})
        process.url = process.start()
        yield process
        process.stop()


@pytest.fixture(scope="module")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB", viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    opened.requested = []
    opened.on("request", lambda request: opened.requested.append((request.url, request.headers)))
    opened.errors = []  # script errors, and refusals such as a Content-Security-Policy violation
    opened.on("pageerror", lambda error: opened.errors.append(str(error)))
    opened.on("console", lambda message: message.type == "error" and not message.text.startswith(
        "Failed to load resource: the server responded with a status of 400") and opened.errors.append(message.text))
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def _until(page, expression: str, seconds: float = 15) -> None:
    """Wait until `expression` is true in the page. (Playwright's wait_for_function evaluates its
    predicate with eval, which the console's Content-Security-Policy forbids, as it should.)"""
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            pytest.fail(f"not true within {seconds} s: {expression}")
        time.sleep(0.1)


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _sign_in(page, url: str, key: str = KEY) -> None:
    page.goto(f"{url}/console")
    page.wait_for_selector("#sign-in:not([hidden])")
    page.fill("#sign-in-key", key)
    page.click("#sign-in button[type=submit]")


def test_the_page_and_its_assets_are_served_with_strict_headers(stack):
    page = requests.get(f"{stack.url}/console", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff" and page.headers["Referrer-Policy"] == "no-referrer"
    script = requests.get(f"{stack.url}/console/assets/chart.umd.min.js", timeout=10)
    assert script.status_code == 200 and script.headers["Content-Type"].startswith("text/javascript")
    assert requests.get(f"{stack.url}/console/assets/app.py", timeout=10).status_code == 404


def test_search_open_a_record_cancel_it_and_see_the_figures(stack, page):
    url = stack.url
    intercepted = _create(url, "ZT5100000003", key=KEY)
    failed = _create(url, "ZT5100000017", key=KEY)
    for record in (intercepted, failed):
        assert _wait_for(url, record["id"], {"intercepted", "failed"}, seconds=CALLBACK_DELAY + 20,
                         key=KEY)["status"] in {"intercepted", "failed"}
    to_cancel = _create(url, "ZT5100000024", key=KEY)
    assert _wait_for(url, to_cancel["id"], {"submitted"}, key=KEY)["status"] == "submitted"
    logged_before = len(stack.logged())

    _sign_in(page, url)
    page.wait_for_selector("#records:not([hidden])")
    assert page.evaluate("sessionStorage.getItem('console.platformKey')") == KEY

    # search: by merchant and status, the submitted record and no other
    page.fill("#q-merchant_id", MERCHANT)
    page.select_option("#q-status", "submitted")
    page.click("#search-form button[type=submit]")
    _until(page, "document.querySelectorAll('#results .record-link').length === 1")
    assert page.text_content("#results .record-link") == to_cancel["id"]
    page.select_option("#q-status", "failed")
    page.click("#search-form button[type=submit]")
    _until(page, f"document.querySelector('#results .record-link')?.textContent === {failed['id']!r}")
    _shot(page, "search")

    # a record's page: status, refund track, deadline countdown, events, tracking, webhook deliveries
    page.click("#results .record-link")
    page.wait_for_selector("#record:not([hidden]) #record-summary .badge")
    assert page.text_content("#record-summary .badge") == "failed"
    assert "left" in page.text_content("#record-deadlines .countdown") or "stopped" in page.text_content(
        "#record-deadlines .countdown")
    assert page.locator("#record-events tbody tr").count() == 3  # pending, submitted, failed
    assert page.locator("#record-tracking tbody tr").count() >= 1
    assert page.is_hidden("#cancel-form")  # a result is in: nothing to cancel

    # cancel through the confirmation: Back does nothing, Confirm cancels
    page.goto(f"{url}/console#/record/{to_cancel['id']}")
    page.wait_for_selector("#cancel-form:not([hidden])")
    page.fill("#cancel-reason", "buyer changed their mind")
    page.click("#cancel-submit")
    page.wait_for_selector("#confirm[open]")
    assert to_cancel["id"] in page.text_content("#confirm-text")
    page.click("#confirm-back")
    assert requests.get(f"{url}/v1/intercepts/{to_cancel['id']}", headers={"Authorization": f"Bearer {KEY}"},
                        timeout=10).json()["status"] == "submitted"
    page.click("#cancel-submit")
    page.click("#confirm-ok")
    _until(page, "['cancel requested', 'cancelled'].includes("
                           "document.querySelector('#record-summary .badge')?.textContent)")
    assert page.text_content("#action-result") == "Done."
    assert _wait_for(url, to_cancel["id"], {"cancelled"}, key=KEY)["status"] in {"cancel_requested", "cancelled"}
    page.wait_for_selector("#record-events tbody tr:has-text('buyer changed their mind')")
    _shot(page, "record-cancelled")

    # figures: the success rate per carrier, from the metrics API, one data point a day
    page.click("#nav-charts")
    page.fill("#c-merchant_id", MERCHANT)
    page.click("#charts-form button[type=submit]")
    success = "Chart.getChart(document.querySelector('#chart-success'))"
    _until(page, f"{success}?.data.datasets.some(set => set.label === 'zto' && set.data.some(v => v !== null))")
    points = page.evaluate(f"{success}.data.datasets.find(set => set.label === 'zto').data.filter(v => v !== null)")
    assert points == [50]  # one of the two results a success, today
    assert page.evaluate("Chart.getChart(document.querySelector('#chart-failures')).data.datasets"
                         ".map(set => [set.label, set.data.reduce((a, b) => a + b, 0)])") == [
        ["parcel_out_for_delivery", 1]]
    _shot(page, "charts")

    # Chinese labels
    page.click("#lang")
    assert page.text_content("#nav-charts") == "统计图表"
    assert page.text_content("#lang") == "English"
    page.click("#nav-records")
    page.wait_for_selector("#records:not([hidden])")
    assert page.text_content("#search-form button[type=submit]") == "查询"
    _shot(page, "records-zh")

    assert page.errors == []  # (a 400 is the metrics route refusing `interval` until it has series)

    # the page's Content-Security-Policy is in force: an injected inline script does not run
    page.evaluate("document.head.append(Object.assign(document.createElement('script'), "
                  "{textContent: 'window.injected = true'}))")
    assert page.evaluate("window.injected === undefined")

    # the key goes out in the Authorization header only: never in a URL, never in the stack's log
    api_calls = [(address, headers) for address, headers in page.requested if "/v1/" in address]
    assert api_calls and all(headers.get("authorization") == f"Bearer {KEY}" for _, headers in api_calls)
    assert not [address for address, _ in page.requested if KEY in address]
    assert KEY not in page.url
    assert KEY not in stack.logged()[logged_before:]


def test_sign_out_forgets_the_key_and_a_refused_key_asks_again(stack, page):
    _sign_in(page, stack.url, "not-a-key")
    _until(page, "document.querySelector('#sign-in-error').textContent === 'The key was refused.'")
    assert page.evaluate("sessionStorage.getItem('console.platformKey')") is None
    page.fill("#sign-in-key", KEY)
    page.click("#sign-in button[type=submit]")
    page.wait_for_selector("#records:not([hidden])")
    page.click("#sign-out")
    page.wait_for_selector("#sign-in:not([hidden])")
    assert page.evaluate("Object.keys(sessionStorage).filter(name => name.endsWith('Key'))") == []
    # a key the gateway stops taking mid-session: the next call sends the page back to sign-in
    page.evaluate("sessionStorage.setItem('console.platformKey', 'revoked-key')")
    page.goto(f"{stack.url}/console#/charts")
    page.reload()
    page.fill("#c-merchant_id", MERCHANT)
    page.click("#charts-form button[type=submit]")
    page.wait_for_selector("#sign-in:not([hidden])")
    assert page.text_content("#sign-in-error") == "The gateway refused the key: sign in again."


def test_under_a_stage_prefix_every_request_stays_under_it(stack, page):
    """Deployed, the page is /api/console: its assets and API calls must resolve under /api/."""
    outside = []

    def strip_prefix(route):
        address = route.request.url
        if "/api/" not in address:
            outside.append(address)
            return route.abort()
        route.continue_(url=address.replace("/api/", "/", 1))

    page.route(f"{stack.url}/**", strip_prefix)
    page.goto(f"{stack.url}/api/console")
    page.fill("#sign-in-key", KEY)
    page.click("#sign-in button[type=submit]")
    page.wait_for_selector("#records:not([hidden]) #results tbody tr")
    assert _chart_loaded(page)
    assert any("/api/v1/intercepts?" in address for address, _ in page.requested)
    assert outside == []


def _chart_loaded(page) -> bool:
    return page.evaluate("typeof Chart === 'function' && typeof Chart.getChart === 'function'")


def _figures(intercepts: int, succeeded: int, fees_fen: int) -> dict:
    return {"intercepts": intercepts, "by_status": {"intercepted": succeeded, "failed": intercepts - succeeded},
            "success_rate": succeeded / intercepts if intercepts else None,
            "failure_reasons": {"parcel_signed": intercepts - succeeded} if intercepts > succeeded else {},
            "cancellation_rate": 0.0 if intercepts else None, "return_rate": 0.0 if succeeded else None,
            "median_seconds_to_result": 30.0 if intercepts else None, "median_seconds_to_result_bounds": None,
            "median_seconds_to_refund": None, "median_seconds_to_refund_bounds": None, "express_refunds": 0,
            "fees_fen": fees_fen}


def test_charts_use_the_metrics_series_where_the_gateway_answers_one(stack, page):
    """The metrics route's `interval=day` answer as the console contract gives it (one entry per
    day, fees_fen in the figures): one call draws every chart, fees included."""
    calls = []

    def series_answer(route):
        calls.append(route.request.url)
        if "interval=day" not in route.request.url:
            return route.continue_()
        days = [("2026-11-01", 4, 3, 1200), ("2026-11-02", 0, 0, 0), ("2026-11-03", 2, 2, 600)]
        route.fulfill(json={
            "merchant_id": MERCHANT, "from": "2026-11-01T00:00:00.000Z", "to": "2026-11-04T00:00:00.000Z",
            "total": _figures(6, 5, 1800), "by_carrier": {"zto": _figures(6, 5, 1800)},
            "series": [{"from": f"{day}T00:00:00.000Z", "to": f"{day}T23:59:59.999Z", "total": _figures(n, ok, fee),
                        "by_carrier": {"zto": _figures(n, ok, fee)} if n else {}} for day, n, ok, fee in days]})

    page.route("**/v1/merchants/*/metrics?*", series_answer)
    _sign_in(page, stack.url)
    page.wait_for_selector("#records:not([hidden])")
    page.click("#nav-charts")
    page.fill("#c-merchant_id", MERCHANT)
    page.fill("#c-from", "2026-11-01")
    page.fill("#c-to", "2026-11-03")
    page.click("#charts-form button[type=submit]")
    _until(page, "Chart.getChart(document.querySelector('#chart-fees'))?.data.datasets.length === 1")
    assert len(calls) == 1 and "interval=day" in calls[0]
    assert "from=2026-11-01T00%3A00%3A00.000Z" in calls[0] and "to=2026-11-04T00%3A00%3A00.000Z" in calls[0]
    chart = "Chart.getChart(document.querySelector('{}')).data"
    assert page.evaluate(chart.format("#chart-fees") + ".datasets[0].data") == [12, 0, 6]
    assert page.evaluate(chart.format("#chart-success") + ".labels") == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert page.evaluate(chart.format("#chart-success") + ".datasets[0].data") == [75, None, 100]
    assert page.is_hidden("#chart-fees-note") and page.text_content("#charts-note") == ""
    _shot(page, "charts-series")


def test_on_call_view_renders_the_operator_routes_answers_as_the_contract_shapes_them(stack, page):
    """Answers the local stack cannot easily produce (an open breaker, a disabled endpoint, markup in
    an error), in the operator routes' shapes: each table, the redrive through its confirmation. The
    test after this one drives the real routes."""
    redriven = []
    answers = {
        "carriers": {"carriers": [
            {"carrier": "zto", "breaker": {"state": "closed", "consecutive_failures": 0, "open_until": None}},
            {"carrier": "sf", "breaker": {"state": "open", "consecutive_failures": 5,
                                          "open_until": "2026-12-01T08:05:00.000Z"}}]},
        "queues": {"queues": [
            {"name": "intercept-dispatch", "depth": 2, "in_flight": 1,
             "dead_letter": {"name": "intercept-dispatch-dlq", "depth": 3}},
            {"name": "intercept-notify", "depth": 0, "in_flight": 0,
             "dead_letter": {"name": "intercept-notify-dlq", "depth": 0}}]},
        "intercepts": {"items": [{"id": "icp_1", "platform_id": "demo", "merchant_id": MERCHANT, "carrier": "sf",
                                  "tracking_no": "SF1000000001", "status": "needs_attention",
                                  "updated_at": "2026-12-01T08:00:00.000Z", "last_error": "<b>timeout</b>"}],
                       "next_cursor": None},
        "webhook-endpoints": {"endpoints": [{"platform_id": "demo", "url": "https://hooks.example/in", "enabled": False,
                                             "disabled_reason": "410 Gone", "failing_deliveries": 7,
                                             "last_failure_at": "2026-12-01T07:00:00.000Z", "last_error": "HTTP 410"}]},
    }

    def operations(route):
        request = route.request
        assert request.headers["authorization"] == f"Bearer {OPERATOR_KEY}"
        path = request.url.split("/v1/operations/", 1)[1].split("?")[0]
        if request.method == "POST":
            redriven.append((path, request.post_data_json))
            return route.fulfill(json={"queue": "intercept-dispatch", "moved": 3, "dropped": 0, "left": 0})
        route.fulfill(json=answers[path])

    page.route("**/v1/operations/**", operations)
    page.goto(f"{stack.url}/console#/oncall")
    page.wait_for_selector("#sign-in:not([hidden])")
    assert page.text_content("#sign-in-title") == "Sign in with an operator key"
    page.fill("#sign-in-key", OPERATOR_KEY)
    page.click("#sign-in button[type=submit]")
    page.wait_for_selector("#oncall:not([hidden]) #oncall-carriers .badge")
    assert page.locator("#oncall-carriers tbody tr:has-text('sf') .badge").text_content() == "open"
    assert page.locator("#oncall-queues button.redrive").count() == 1  # only the queue with dead letters
    assert page.text_content("#oncall-attention tbody tr td:last-child") == "<b>timeout</b>"  # text, not markup
    assert page.locator("#oncall-webhooks tbody tr:has-text('410 Gone')").count() == 1
    page.click("#oncall-queues button.redrive")
    assert "intercept-dispatch" in page.text_content("#confirm-text")
    page.click("#confirm-ok")
    _until(page, "document.querySelector('#oncall-redrive-result').textContent !== ''")
    assert redriven == [("queues/intercept-dispatch/redrive", {})]
    assert page.text_content("#oncall-redrive-result") == (
        "3 messages moved back to intercept-dispatch, 0 dropped (their work had finished), "
        "0 left in the dead-letter queue.")
    assert page.evaluate("sessionStorage.getItem('console.platformKey')") is None
    _shot(page, "oncall-contract")


def test_on_call_view_with_an_operator_key(stack, page):
    import boto3

    endpoint = json.loads((stack.state_dir / "stack.json").read_text())["aws_endpoint"]
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    dead_letters = sqs.get_queue_url(QueueName="intercept-dispatch-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=dead_letters, MessageBody=json.dumps({"intercept_id": "missing"}))  # dropped
    sqs.send_message(QueueUrl=dead_letters, MessageBody="not json")  # left for a person to read

    page.goto(f"{stack.url}/console#/oncall")
    page.wait_for_selector("#sign-in:not([hidden])")
    assert page.text_content("#sign-in-title") == "Sign in with an operator key"
    page.fill("#sign-in-key", OPERATOR_KEY)
    page.click("#sign-in button[type=submit]")
    page.wait_for_selector("#oncall:not([hidden]) #oncall-carriers .badge")
    assert page.locator("#oncall-carriers tbody tr:has-text('zto') .badge").text_content() == "closed"
    page.wait_for_selector("#oncall-queues tbody tr:has-text('intercept-dispatch-dlq') button.redrive")
    _shot(page, "oncall")
    page.click("#oncall-queues tbody tr:has-text('intercept-dispatch-dlq') button.redrive")
    page.click("#confirm-ok")
    _until(page, "document.querySelector('#oncall-redrive-result').textContent !== ''")
    assert page.text_content("#oncall-redrive-result") == (
        "0 messages moved back to intercept-dispatch, 1 dropped (their work had finished), "
        "1 left in the dead-letter queue.")
    assert page.locator("#oncall-attention tbody tr").count() >= 1  # a row, or the "None." row
    assert page.locator("#oncall-webhooks tbody tr").count() >= 1
    assert not [address for address, _ in page.requested if OPERATOR_KEY in address]
