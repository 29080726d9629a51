"""The simulator speaking ZTO on loopback, driven by the real adapter and HTTP layer."""
import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chalicelib.carriers.adapter import ProtocolAdapter
from chalicelib.carriers.base import (
    CallbackEvent,
    CarrierResult,
    CarrierUnavailable,
    HttpReply,
    InterceptOrder,
    InvalidCallback,
)
from chalicelib.carriers.http import CarrierHttp
from chalicelib.carriers.zto import DECLARATION
from chalicelib.carriers.zto import protocol as zto
from chalicelib.carriers.zto.settings import ZtoSettings
from simulator import CarrierSimulator, Scenario, scenario_for

CREDENTIALS = {"app_key": "sim-key", "app_secret": "sim-secret", "company_id": "sim-company"}
GATEWAY_SETTINGS = ZtoSettings(base_url="unused", **CREDENTIALS)


class FakeGateway:
    """Stands in for the gateway's /callbacks/zto route: verifies like the real one, records events."""

    def __init__(self, failures_before_success: int = 0):
        self.events: list[CallbackEvent] = []
        self.rejections: list[str] = []
        self._failures_left = failures_before_success
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                reply = gateway.receive(self.path, dict(self.headers.items()), body)
                self.send_response(reply.status)
                self.send_header("Content-Length", str(len(reply.body.encode())))
                self.end_headers()
                self.wfile.write(reply.body.encode())

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def receive(self, path, headers, body):
        if self._failures_left > 0:
            self._failures_left -= 1
            return HttpReply(503, "busy")
        assert path == "/callbacks/zto"
        try:
            event = zto.parse_callback(headers, body, datetime.now(UTC), GATEWAY_SETTINGS)
        except InvalidCallback as error:
            self.rejections.append(str(error))
            return zto.callback_ack(False, str(error))
        self.events.append(event)
        return zto.callback_ack(True)

    def close(self):
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def gateway():
    gateway = FakeGateway()
    yield gateway
    gateway.close()


@pytest.fixture
def start_simulator():
    started: list[CarrierSimulator] = []

    def start(gateway_url: str, **options) -> CarrierSimulator:
        options = {"callback_delay": 0.05, "callback_backoff": 0.01, "seed": 7, **options}
        simulator = CarrierSimulator(gateway_url=gateway_url, credentials={"zto": CREDENTIALS}, **options)
        simulator.start()
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        simulator.stop()


def adapter_for(simulator: CarrierSimulator, *, app_secret: str = "sim-secret", read_timeout: float = 5.0):
    settings = ZtoSettings(
        base_url=f"{simulator.url}/zto", app_key="sim-key", app_secret=app_secret, company_id="sim-company"
    )
    return ProtocolAdapter(DECLARATION, settings, CarrierHttp(connect_timeout=1.0, read_timeout=read_timeout))


def order(intercept_id: str, tracking_no: str) -> InterceptOrder:
    return InterceptOrder(intercept_id, tracking_no, "buyer refund", "http://gateway/callbacks/zto")


def wait_for(condition, timeout: float = 3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError("condition not met before the deadline")


def test_accepted_then_intercepted_callback(gateway, start_simulator):
    simulator = start_simulator(gateway.url)
    outcome = adapter_for(simulator).submit_intercept(order("int-3", "7310000003"))

    assert outcome.result is CarrierResult.accepted
    assert outcome.carrier_ref == "ZTO-INT-7310000003"
    wait_for(lambda: gateway.events)
    [event] = gateway.events
    assert (event.intercept_id, event.tracking_no) == ("int-3", "7310000003")
    assert event.result is CarrierResult.intercepted
    assert simulator.submissions("zto", "int-3") == 1
    wait_for(lambda: simulator.callbacks_sent)  # logged once the gateway has answered
    [sent] = simulator.callbacks_sent
    assert (sent.intercept_id, sent.event_id, sent.status) == ("int-3", event.event_id, 200)


def test_accepted_then_failed_out_for_delivery(gateway, start_simulator):
    simulator = start_simulator(gateway.url)
    assert adapter_for(simulator).submit_intercept(order("int-7", "7310000007")).result is CarrierResult.accepted

    wait_for(lambda: gateway.events)
    [event] = gateway.events
    assert (event.result, event.reason_code) == (CarrierResult.failed, "parcel_out_for_delivery")


def test_signed_parcel_is_refused_synchronously_without_callback(gateway, start_simulator):
    simulator = start_simulator(gateway.url)
    outcome = adapter_for(simulator).submit_intercept(order("int-8", "7310000008"))

    assert (outcome.result, outcome.reason_code) == (CarrierResult.failed, "parcel_signed")
    assert simulator.submissions("zto", "int-8") == 1
    time.sleep(0.15)
    assert simulator.callbacks_sent == [] and gateway.events == []


def test_flaky_parcel_fails_twice_then_is_accepted(gateway, start_simulator):
    simulator = start_simulator(gateway.url)
    adapter = adapter_for(simulator)
    for _ in range(2):
        with pytest.raises(CarrierUnavailable, match="500"):
            adapter.submit_intercept(order("int-9", "7310000009"))

    assert adapter.submit_intercept(order("int-9", "7310000009")).result is CarrierResult.accepted
    assert simulator.submissions("zto", "int-9") == 3
    wait_for(lambda: gateway.events)
    assert gateway.events[0].result is CarrierResult.intercepted


def test_bad_secret_is_a_signature_fault_not_a_refusal(gateway, start_simulator):
    simulator = start_simulator(gateway.url)
    with pytest.raises(CarrierUnavailable, match="S211"):
        adapter_for(simulator, app_secret="wrong").submit_intercept(order("int-bad", "7310000001"))
    assert simulator.submissions("zto", "int-bad") == 0


def test_callback_is_retried_until_the_gateway_answers_2xx(start_simulator):
    gateway = FakeGateway(failures_before_success=2)
    try:
        simulator = start_simulator(gateway.url)
        adapter_for(simulator).submit_intercept(order("int-retry", "7310000000"))
        wait_for(lambda: len(simulator.callbacks_sent) == 3)
        assert len(gateway.events) == 1
        attempts = simulator.callbacks_sent
        assert [a.status for a in attempts] == [503, 503, 200]
        assert len({a.event_id for a in attempts}) == 1
    finally:
        gateway.close()


def test_unreachable_gateway_is_logged_and_given_up(start_simulator):
    gateway = FakeGateway()
    gateway.close()
    simulator = start_simulator(gateway.url, callback_attempts=2)
    adapter_for(simulator).submit_intercept(order("int-gone", "7310000000"))
    wait_for(lambda: len(simulator.callbacks_sent) == 2)
    assert all(a.status is None and a.error for a in simulator.callbacks_sent)


@pytest.mark.parametrize("fault, match", [
    ({"error_rate": 1.0}, "503"),
    ({"malformed_rate": 1.0}, "unreadable"),
    ({"timeout_rate": 1.0, "timeout_sleep": 2.0}, "timeout"),
])
def test_injected_faults_surface_as_carrier_unavailable(gateway, start_simulator, fault, match):
    simulator = start_simulator(gateway.url, **fault)
    with pytest.raises(CarrierUnavailable, match=match):
        adapter_for(simulator, read_timeout=0.2).submit_intercept(order("int-fault", "7310000001"))
    assert simulator.submissions("zto", "int-fault") == 0


def test_connection_refused_is_carrier_unavailable():
    gateway = FakeGateway()
    gateway.close()
    http = CarrierHttp(connect_timeout=0.5, read_timeout=0.5)
    with pytest.raises(CarrierUnavailable, match="connection error"):
        http.post(f"{gateway.url}/anything", data=b"{}", headers={})


def test_unknown_carrier_in_credentials_is_refused():
    with pytest.raises(ValueError, match="nope"):
        CarrierSimulator(gateway_url="http://127.0.0.1:1", credentials={"nope": {}})


@pytest.mark.parametrize("tracking_no, scenario", [
    ("1230", Scenario.accept_then_intercepted),
    ("1236", Scenario.accept_then_intercepted),
    ("123X", Scenario.accept_then_intercepted),
    ("1237", Scenario.accept_then_failed),
    ("1238", Scenario.refuse_signed),
    ("1239", Scenario.flaky_then_intercepted),
])
def test_scenario_by_last_digit(tracking_no, scenario):
    assert scenario_for(tracking_no) is scenario


def test_no_simulated_carrier_signs_with_the_gateways_code():
    """Each simulator module reads its carrier's documents itself: importing the gateway's protocol
    modules or signing helpers would test the gateway against itself."""
    import ast
    from pathlib import Path

    from chalicelib.carriers import declarations

    for declaration in [found for found in declarations().values() if found.simulator]:
        module = declaration.simulator.partition(":")[0]
        source = Path(__file__).parents[2].joinpath(*module.split(".")).with_suffix(".py")
        imported = {node.module for node in ast.walk(ast.parse(source.read_text()))
                    if isinstance(node, ast.ImportFrom) and node.module} | {
            alias.name for node in ast.walk(ast.parse(source.read_text())) if isinstance(node, ast.Import)
            for alias in node.names}
        gateways = {name for name in imported if name.startswith("chalicelib.carriers")}
        assert not gateways, f"{module} imports {sorted(gateways)}"


def test_simulated_jumdata_and_sf_refuse_an_account_they_do_not_know():
    from chalicelib.carriers.adapter import Call
    from chalicelib.carriers.base import InterceptOrder
    from chalicelib.carriers.jumdata import protocol as jumdata
    from chalicelib.carriers.jumdata.settings import JumdataSettings
    from chalicelib.carriers.sf import protocol as sf
    from chalicelib.carriers.sf.settings import SfSettings
    from simulator.jumdata import JumdataCarrier
    from simulator.protocol import InterceptRequest
    from simulator.sf import SfCarrier

    known = {"customerCode": "YD-C1", "customerPsw": "pw-1"}
    simulated = JumdataCarrier({"app_id": "app", "app_secret": "s", "accounts": {"YUNDA": known}})
    for account, accepted in ((known, True), ({**known, "customerPsw": "other"}, False)):
        order = InterceptOrder("icp_1", "YD4300000003", "refund", "http://gw/cb", account=account)
        url, body, headers = jumdata.intercept_request(order, JumdataSettings("http://j", "app", "s"),
                                                       Call(1_700_000_000_000, "r", company="YUNDA", carrier="yunda"))
        answer = simulated.read_request(url.removeprefix("http://j"), headers, body)
        assert isinstance(answer, InterceptRequest) is accepted
        assert accepted or json.loads(answer.body)["code"] == 405
    simulated_sf = SfCarrier({"partner_id": "P", "check_word": "W", "monthly_card_no": "7551234567"})
    for card, accepted in (("7551234567", True), ("7550000000", False)):
        order = InterceptOrder("icp_1", "SF1234567890123", "refund", "http://gw/cb", account={"monthlyCardNo": card})
        _, body, headers = sf.intercept_request(order, SfSettings("http://sf", "P", "W"), Call(1_700_000_000_000, "r"))
        assert isinstance(simulated_sf.read_request("/", headers, body), InterceptRequest) is accepted
