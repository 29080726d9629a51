"""The local stack keeps its data across restarts: after Ctrl-C, and after a kill with no clean
shutdown (losing at most the last few seconds); `make reset` starts it empty again."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from standardwebhooks.webhooks import Webhook

from local.webhook_receiver import WebhookReceiver
from tests.integration.test_local_stack import KEY, ROOT, StackProcess, _create, _wait_for

pytestmark = pytest.mark.integration

AUTH = {"Authorization": f"Bearer {KEY}"}
DONE = {"intercepted", "failed", "needs_attention"}


@pytest.fixture
def receiver():
    endpoint = WebhookReceiver()
    yield endpoint
    endpoint.stop()


def _register(url: str, receiver: WebhookReceiver) -> str:
    response = requests.put(f"{url}/v1/webhook-endpoint", json={"url": receiver.url}, headers=AUTH, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["secret"]


def _signed_event(receiver: WebhookReceiver, secret: str, intercept_id: str, event_type: str,
                  seconds: float = 30) -> dict | None:
    """The `event_type` webhook about `intercept_id`, once one arrives that verifies with `secret`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for headers, body in list(receiver.received):
            payload = json.loads(body)
            if payload["type"] == event_type and payload["data"].get("intercept", {}).get("id") == intercept_id:
                return Webhook(secret).verify(body, headers)
        time.sleep(0.2)
    return None


def _gatewayctl_platform(state_dir: Path) -> str:
    """A platform and API key made with gatewayctl, as an operator would; returns the key."""
    endpoint = json.loads((state_dir / "stack.json").read_text())["aws_endpoint"]
    done = subprocess.run([sys.executable, "-m", "gatewayctl", "--endpoint", endpoint, "platforms", "create",
                           "persisted-platform", "--name", "Persisted", "--policy", "kuaishou"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return re.search(r"API key \(shown once, store it now\): (\S+)", done.stdout).group(1)


def _merchant_settings(url: str) -> dict:
    return requests.get(f"{url}/v1/merchants/demo-merchant/settings", headers=AUTH, timeout=10).json()


def test_after_ctrl_c_a_restart_finds_intercepts_keys_endpoints_settings_and_the_clock(tmp_path, receiver):
    state_dir = tmp_path / "state"
    first = StackProcess(state_dir, {"LOCAL_SAVE_SECONDS": "3600"})  # so only the save at stop can keep it
    url = first.start()
    intercepted = _wait_for(url, _create(url, "ZT5100000003")["id"], DONE)
    assert intercepted["status"] == "intercepted"
    secret = _register(url, receiver)
    platform_key = _gatewayctl_platform(state_dir)
    stored = _merchant_settings(url)
    settings = {**{name: value for name, value in stored.items() if name not in ("merchant_id", "updated_at")},
                "amount_max": 50_000}
    changed = requests.put(f"{url}/v1/merchants/demo-merchant/settings", json=settings, headers=AUTH, timeout=10)
    assert changed.status_code == 200, changed.text
    assert requests.post(f"{url}/local/clock", json={"advance_seconds": 3600}, timeout=10).status_code == 200
    first.stop()

    second = StackProcess(state_dir)
    url = second.start()
    try:
        shown = requests.get(f"{url}/v1/intercepts/{intercepted['id']}", headers=AUTH, timeout=10).json()
        assert (shown["status"], shown["events"]) == ("intercepted", intercepted["events"])
        endpoint = requests.get(f"{url}/v1/webhook-endpoint", headers=AUTH, timeout=10).json()
        assert (endpoint["url"], endpoint["enabled"]) == (receiver.url, True)
        # the endpoint's secret came back too: a change made now is signed with it
        created_after = _create(url, "ZT5100000004")["id"]
        assert _signed_event(receiver, secret, created_after, "intercept.created") is not None
        listed = requests.get(f"{url}/v1/intercepts", headers={"Authorization": f"Bearer {platform_key}"}, timeout=10)
        assert listed.status_code == 200, listed.text
        kept = _merchant_settings(url)
        assert (kept["amount_max"], kept["version"]) == (50_000, settings["version"] + 1)
        # the clock offset is kept with the data it stamped (advancing by a second shows the total)
        moved = requests.post(f"{url}/local/clock", json={"advance_seconds": 1}, timeout=10).json()
        assert moved["offset_seconds"] == pytest.approx(3601)
    finally:
        second.stop()


def test_after_a_kill_a_restart_finds_what_was_saved_before_it(tmp_path, receiver):
    state_dir = tmp_path / "state"
    first = StackProcess(state_dir, {"LOCAL_SAVE_SECONDS": "1"})
    url = first.start()
    intercept_id = _wait_for(url, _create(url, "ZT5200000003")["id"], DONE)["id"]
    _register(url, receiver)
    snapshot = state_dir / "aws-state.json"
    deadline = time.monotonic() + 15  # a save follows within LOCAL_SAVE_SECONDS of the last change
    while time.monotonic() < deadline and not (
            snapshot.exists() and intercept_id in (text := snapshot.read_text()) and receiver.url in text):
        time.sleep(0.2)
    first.kill()

    second = StackProcess(state_dir)
    url = second.start()
    try:
        shown = requests.get(f"{url}/v1/intercepts/{intercept_id}", headers=AUTH, timeout=10)
        assert shown.status_code == 200, shown.text
        assert shown.json()["status"] == "intercepted"
        endpoint = requests.get(f"{url}/v1/webhook-endpoint", headers=AUTH, timeout=10).json()
        assert endpoint["url"] == receiver.url
    finally:
        second.stop()


def test_make_reset_leaves_no_saved_state_and_the_next_start_is_empty(tmp_path):
    state_dir = tmp_path / "state"
    first = StackProcess(state_dir)
    url = first.start()
    intercept_id = _create(url, "ZT5300000003")["id"]
    first.stop()
    assert (state_dir / "aws-state.json").exists()

    done = subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), "reset", f"PYTHON={sys.executable}"],
                          env={**os.environ, "LOCAL_STATE_DIR": str(state_dir)}, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert not [path.name for path in state_dir.iterdir() if path.name.startswith("aws-state")]

    second = StackProcess(state_dir)
    url = second.start()
    try:
        assert requests.get(f"{url}/v1/intercepts/{intercept_id}", headers=AUTH, timeout=10).status_code == 404
    finally:
        second.stop()
