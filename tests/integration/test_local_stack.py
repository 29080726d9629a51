"""The real local stack in a child process (moto server, HTTP API, pump, scheduler, simulator),
driven over HTTP the way a platform would."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
KEY = "integration-key"


def _signal_state(pid: int) -> str:
    """The process's blocked, ignored and caught signal masks, as the kernel reports them."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return "signal state unknown"
    return ", ".join(line.replace("\t", " ") for line in lines if line.startswith(("SigBlk", "SigIgn", "SigCgt")))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def stack():
    yield from stack_process()


def stack_process(extra_env: dict | None = None):
    """Start `python -m local.stack` in a child process, yield its URL once healthy, stop it after.

    The stack keeps its files (saved AWS state, carrier credentials, stack.json) in a temporary
    directory of its own, so it starts empty whatever a developer's `.local/` holds, and leaves
    nothing in the repository.
    """
    with tempfile.TemporaryDirectory(prefix="local-state-") as state_dir:
        stack = StackProcess(Path(state_dir), extra_env)
        yield stack.start()
        stack.stop()


class StackProcess:
    """The local stack in a child process, on `state_dir` (LOCAL_STATE_DIR); start it again after a
    stop or a kill to run it on the state the last one left.

    Its output goes to a file, not a pipe: nothing reads a pipe while the tests run, and once the
    pipe's buffer is full (a few hundred logged requests) every thread of the stack that logs blocks.
    """

    def __init__(self, state_dir: Path, extra_env: dict | None = None) -> None:
        self.state_dir = state_dir
        self._extra_env = extra_env or {}
        self._process: subprocess.Popen | None = None
        self._output: Path | None = None

    def start(self) -> str:
        port = _free_port()
        env = {**os.environ, "PORT": str(port), "DEMO_API_KEY": KEY, "SIM_CALLBACK_DELAY": "0.3",
               "DISPATCH_BASE_BACKOFF_SECONDS": "1", "LOCAL_STATE_DIR": str(self.state_dir), **self._extra_env}
        for name in ("AWS_ENDPOINT_URL", "STAGE", "CARRIER_CONFIG"):
            env.pop(name, None)
        with tempfile.NamedTemporaryFile(prefix="local-stack-", suffix=".log", delete=False) as output:
            self._output = Path(output.name)
            self._process = subprocess.Popen([sys.executable, "-m", "local.stack"], cwd=ROOT, env=env,
                                             stdout=output, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._fail(f"local stack exited early:\n{self.logged()}")
            try:
                if requests.get(f"{url}/health", timeout=1).status_code == 200:
                    return url
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        self._process.kill()
        self._fail(f"local stack did not become healthy in 90 s:\n{self.logged()}")

    def stop(self) -> None:
        """Ctrl-C, as a developer stops `make run`."""
        self._process.send_signal(signal.SIGINT)
        try:
            self._process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            signals = _signal_state(self._process.pid)
            self._process.kill()
            self._fail(f"local stack did not stop on Ctrl-C ({signals}):\n{self.logged()}")
        self._remove_output()

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, nothing saved at stop."""
        self._process.kill()
        self._process.wait(timeout=20)
        self._remove_output()

    def logged(self) -> str:
        return self._output.read_text(errors="replace")[-20_000:] if self._output else ""

    def _fail(self, message: str) -> None:
        self._remove_output()
        pytest.fail(message)

    def _remove_output(self) -> None:
        if self._output is not None:
            self._output.unlink(missing_ok=True)
            self._output = None


def _create(url: str, tracking_no: str, key: str = KEY, **extra) -> dict:
    body = {"merchant_id": "demo-merchant", "order_id": f"o-{tracking_no}", "after_sale_id": f"as-{tracking_no}",
            "carrier": "zto", "tracking_no": tracking_no, "refund_amount": 4999, "package_count": 1,
            "goods_type": "general", "cross_border": False, "reason": "buyer asked for a refund", **extra}
    response = requests.post(f"{url}/v1/intercepts", json=body, timeout=10, headers={
        "Authorization": f"Bearer {key}", "Idempotency-Key": f"it-{tracking_no}"})
    assert response.status_code == 202, response.text
    return response.json()


def _wait_for(url: str, intercept_id: str, statuses: set[str], seconds: float = 30, key: str = KEY) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        record = requests.get(f"{url}/v1/intercepts/{intercept_id}", timeout=10,
                              headers={"Authorization": f"Bearer {key}"}).json()
        if record["status"] in statuses or time.monotonic() > deadline:
            return record
        time.sleep(0.2)


def _path(record: dict) -> list[str]:
    return [event["to_status"] for event in record["events"]]


def test_tracking_number_ending_in_3_is_intercepted_with_its_history(stack):
    record = _wait_for(stack, _create(stack, "ZT3100000003")["id"], {"intercepted", "failed", "needs_attention"})
    assert record["status"] == "intercepted"
    assert record["refund_status"] == "refund_auto"
    assert _path(record) == ["pending", "submitted", "intercepted"]
    assert [event["source"] for event in record["events"]] == ["api", "carrier", "carrier"]
    # the parcel's scans the create's tracking query listed, as the simulated ZTO wrote them
    assert [(scan["stage"], scan["code"]) for scan in record["tracking"]] == [("picked_up", "GOT"),
                                                                            ("in_transit", "DEPARTURE")]
    assert record["tracking"][0]["text"] == "快件已揽收" and record["tracking"][0]["at"] < record["tracking"][1]["at"]


def test_an_sf_parcels_route_push_adds_its_routes_to_the_tracking(stack):
    created = _create(stack, "SF3100000003", key="demo-pinduoduo", carrier="sf")  # Kuaishou has no SF
    record = _wait_for(stack, created["id"], {"intercepted", "failed", "needs_attention"}, key="demo-pinduoduo")
    assert record["status"] == "intercepted", record
    codes = [scan["code"] for scan in record["tracking"]]
    assert codes[0] == "50" and codes[-1] == "99"  # picked up (route query at create) ... returning (push)
    assert [scan["at"] for scan in record["tracking"]] == sorted(scan["at"] for scan in record["tracking"])
    # SF's answer named the fee it charges (6.00 yuan): that is the fee, beside the list-price quote
    assert (record["fee"]["amount"], record["fee"]["source"], record["fee_quote"]["amount"]) == (600, "carrier", 800)


def test_a_return_to_the_sending_outlet_is_refused_where_the_route_cannot_make_one(stack):
    body = {"merchant_id": "demo-merchant", "order_id": "o-outlet", "after_sale_id": "as-outlet", "carrier": "zto",
            "tracking_no": "ZT3100000013", "refund_amount": 4999, "package_count": 1, "goods_type": "general",
            "cross_border": False, "return_to": "outlet"}
    response = requests.post(f"{stack}/v1/intercepts", json=body, timeout=10, headers={
        "Authorization": f"Bearer {KEY}", "Idempotency-Key": "it-outlet"})
    assert response.status_code == 422, response.text
    assert [reason["code"] for reason in response.json()["error"]["reasons"]] == ["return_to_outlet_not_supported"]


def test_tracking_number_ending_in_8_is_refused_at_the_door_when_tracking_says_signed(stack):
    body = {"merchant_id": "demo-merchant", "order_id": "o-8", "after_sale_id": "as-8", "carrier": "zto",
            "tracking_no": "ZT3200000008", "refund_amount": 4999}
    response = requests.post(f"{stack}/v1/intercepts", json=body, timeout=10, headers={
        "Authorization": f"Bearer {KEY}", "Idempotency-Key": "it-door-8"})
    assert response.status_code == 422
    assert [reason["code"] for reason in response.json()["error"]["reasons"]] == ["parcel_signed"]


def test_tracking_number_ending_in_8_is_refused_by_the_carrier_as_signed(stack):
    """With the stage given as in transit the rules pass and the carrier's refusal decides."""
    created = _create(stack, "ZT3100000008", parcel_stage="in_transit")
    record = _wait_for(stack, created["id"], {"intercepted", "failed", "needs_attention"})
    assert record["status"] == "failed"
    assert record["result_reason"] == "parcel_signed"
    assert _path(record) == ["pending", "failed"]


def test_tracking_number_ending_in_7_fails_out_for_delivery_by_callback(stack):
    record = _wait_for(stack, _create(stack, "ZT3100000007")["id"], {"intercepted", "failed", "needs_attention"})
    assert record["status"] == "failed"
    assert record["result_reason"] == "parcel_out_for_delivery"
    assert _path(record) == ["pending", "submitted", "failed"]


def test_tracking_number_ending_in_9_is_intercepted_after_carrier_retries(stack):
    record = _wait_for(stack, _create(stack, "ZT3100000009")["id"], {"intercepted", "failed", "needs_attention"})
    assert record["status"] == "intercepted"
    assert _path(record) == ["pending", "submitted", "intercepted"]
    assert record["last_error"] is None


def test_health_and_auth_over_http(stack):
    assert requests.get(f"{stack}/health", timeout=5).json()["status"] == "ok"
    assert requests.get(f"{stack}/v1/intercepts", timeout=5).status_code == 401


@pytest.mark.parametrize("key", ["demo-kuaishou", "demo-pinduoduo", "demo-douyin"])
def test_each_demo_platform_answers_a_dry_run(stack, key):
    body = {"merchant_id": "demo-merchant", "order_id": "o-dry", "after_sale_id": "as-dry", "carrier": "zto",
            "tracking_no": "ZT3100000001", "refund_amount": 4999, "parcel_stage": "in_transit"}
    response = requests.post(f"{stack}/v1/eligibility", json=body, timeout=10,
                             headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text
    assert (response.json()["eligible"], response.json()["reasons"]) == (True, [])
