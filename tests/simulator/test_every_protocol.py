"""Every carrier adapter against the simulator playing that carrier, over loopback HTTP.

The simulator checks each request's signature as the carrier would, answers by the tracking
number's last digit, and pushes signed callbacks that the adapter's own verifier must accept.
"""
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chalicelib.carriers import REGISTRY
from chalicelib.carriers.base import CallbackEvent, CarrierResult, CarrierUnavailable, InterceptOrder
from chalicelib.carriers.http import CarrierHttp
from chalicelib.domain.returns import ReturnTo
from chalicelib.domain.stages import ParcelStage
from simulator import CarrierSimulator
from simulator.protocol import Operation

CREDENTIALS = {
    "zto": {"app_key": "k-zto", "app_secret": "s-zto", "company_id": "c-zto"},
    "yto": {"app_key": "k-yto", "secret": "s-yto"},
    "sto": {"app_key": "k-sto", "secret": "s-sto", "customer_code": "c-sto"},
    "jt": {"api_account": "k-jt", "private_key": "s-jt", "customer_code": "c-jt", "password": "p-jt"},
    "sf": {"partner_id": "k-sf", "check_word": "s-sf", "monthly_card_no": "7550000001"},
    "kuaidi100": {"key": "k-100", "secret": "s-100", "customer": "c-100", "salt": "salt-100"},
    "jd": {"app_key": "k-jd", "app_secret": "s-jd", "access_token": "t-jd", "customer_code": "c-jd"},
    "jumdata": {"app_id": "k-jum", "app_secret": "s-jum",
                "accounts": {code: {"customerCode": f"cust-{code}", "customerPsw": "pw", "customerSiteCode": "site"}
                             for code in ("yunda", "ems", "debang")}},
}
#: (carrier code the gateway sees, module that speaks to it, simulator path)
ROUTES = [("zto", "zto"), ("yto", "yto"), ("sto", "sto"), ("jt", "jt"), ("sf", "sf"), ("yto", "kuaidi100")]
#: the routes that publish a cancel and a status query (kuaidi100 publishes neither)
ASKABLE = [(code, module) for code, module in ROUTES if module != "kuaidi100"]
#: the routes whose results come only by polling (no push): JD, polled by repeating the call
POLLED = [("jd", "jd"), ("yunda", "jumdata"), ("ems", "jumdata"), ("debang", "jumdata")]
#: the carriers whose requests carry no id of ours (SF: only the waybill): the simulator keys their
#: instructions, and their pushes name the parcel, by tracking number
BY_WAYBILL = {"sf", "jd", "jumdata"}
#: the reason a failed interception carries where it is not "out for delivery" (SF: its routes show it signed)
FAILURE_REASON = {"sf": "parcel_signed"}
SECRET_FIELD = {"zto": "app_secret", "yto": "secret", "sto": "secret", "jt": "private_key", "sf": "check_word",
                "kuaidi100": "secret", "jd": "app_secret", "jumdata": "app_secret"}


class FakeGateway:
    """The gateway's /callbacks/{carrier} route: verifies with the adapter, records events."""

    def __init__(self):
        self.adapters = {}
        self.events: list[CallbackEvent] = []
        self.rejections: list[str] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                adapter = gateway.adapters[self.path.rsplit("/", 1)[-1]]
                try:
                    gateway.events.append(adapter.parse_callback(dict(self.headers.items()), body, datetime.now(UTC)))
                    reply = adapter.callback_ack(True)
                except Exception as error:  # noqa: BLE001 - recorded for the assertion
                    gateway.rejections.append(str(error))
                    reply = adapter.callback_ack(False, str(error))
                self.send_response(reply.status)
                self.send_header("Content-Length", str(len(reply.body.encode())))
                self.end_headers()
                self.wfile.write(reply.body.encode())

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def gateway():
    gateway = FakeGateway()
    yield gateway
    gateway.close()


@pytest.fixture
def simulator(gateway):
    simulator = CarrierSimulator(gateway_url=gateway.url, credentials=CREDENTIALS, callback_delay=0.05,
                                 callback_backoff=0.01, seed=3)
    simulator.start()
    yield simulator
    simulator.stop()


def adapter(simulator, code, module, **override):
    config = {"base_url": f"{simulator.url}/{module}", **CREDENTIALS[module], **override}
    return REGISTRY[module](code, config, CarrierHttp(connect_timeout=1.0, read_timeout=3.0))


def order(gateway, code, intercept_id, tracking_no):
    return InterceptOrder(intercept_id, tracking_no, "buyer refund", f"{gateway.url}/callbacks/{code}")


def wait_for(condition, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError("condition not met before the deadline")


@pytest.mark.parametrize("code,module", ROUTES)
def test_accepted_then_a_signed_callback_the_adapter_verifies(gateway, simulator, code, module):
    carrier = gateway.adapters[code] = adapter(simulator, code, module)
    outcome = carrier.submit_intercept(order(gateway, code, "int-3", "SIM1000000003"))
    assert outcome.result is CarrierResult.accepted and outcome.carrier_ref
    wait_for(lambda: gateway.events)
    [event] = gateway.events
    named = "" if module in BY_WAYBILL else "int-3"
    assert (event.intercept_id, event.tracking_no, event.result) == (named, "SIM1000000003", CarrierResult.intercepted)
    assert gateway.rejections == []
    assert simulator.submissions(module, "SIM1000000003" if module in BY_WAYBILL else "int-3") == 1


@pytest.mark.parametrize("code,module", ROUTES)
def test_a_seven_fails_by_callback_with_the_mapped_reason(gateway, simulator, code, module):
    carrier = gateway.adapters[code] = adapter(simulator, code, module)
    assert carrier.submit_intercept(order(gateway, code, "int-7", "SIM1000000007")).result is CarrierResult.accepted
    wait_for(lambda: gateway.events)
    expected = FAILURE_REASON.get(module, "parcel_out_for_delivery")
    assert (gateway.events[0].result, gateway.events[0].reason_code) == (CarrierResult.failed, expected)


@pytest.mark.parametrize("code,module", ROUTES + POLLED)
def test_a_signed_parcel_is_refused_at_once(gateway, simulator, code, module):
    outcome = adapter(simulator, code, module).submit_intercept(order(gateway, code, "int-8", "SIM1000000008"))
    assert (outcome.result, outcome.reason_code) == (CarrierResult.failed, "parcel_signed")


@pytest.mark.parametrize("code,module", ROUTES + POLLED)
def test_a_bad_secret_is_refused_by_the_carrier_as_a_signature_fault(gateway, simulator, code, module):
    carrier = adapter(simulator, code, module, **{SECRET_FIELD[module]: "wrong"})
    with pytest.raises(CarrierUnavailable):
        carrier.submit_intercept(order(gateway, code, "int-1", "SIM1000000001"))
    assert simulator.submissions(module, "SIM1000000001" if module in BY_WAYBILL else "int-1") == 0


@pytest.mark.parametrize("code,module", ROUTES + POLLED)
@pytest.mark.parametrize("tracking_no,stage", [
    ("SIM1000000003", ParcelStage.in_transit), ("SIM1000000009", ParcelStage.in_transit),
    ("SIM1000000007", ParcelStage.at_destination_outlet), ("SIM1000000008", ParcelStage.signed)])
def test_query_stage_answers_by_last_digit(gateway, simulator, code, module, tracking_no, stage):
    answered = adapter(simulator, code, module).query_tracking(tracking_no).stage
    if stage is ParcelStage.at_destination_outlet and module in ("sf", "kuaidi100", "zto"):
        # none has a destination-outlet code; the simulator answers its closest one
        assert answered in (ParcelStage.in_transit, ParcelStage.at_destination_city)
    else:
        assert answered is stage
    assert simulator.requests(module, Operation.track) == 1


@pytest.mark.parametrize("code,module", ROUTES + POLLED)
def test_tracking_lists_the_parcels_scans_oldest_first_the_same_at_every_query(gateway, simulator, code, module):
    carrier = adapter(simulator, code, module)
    first, again = carrier.query_tracking("SIM1000000003"), carrier.query_tracking("SIM1000000003")
    assert first == again  # a carrier's scans do not move between queries
    assert len(first.scans) >= 2 and [scan.at for scan in first.scans] == sorted(scan.at for scan in first.scans)
    assert first.scans[0].stage is ParcelStage.picked_up and first.scans[0].text
    assert first.scans[-1].stage is first.stage
    assert all(scan.location for scan in first.scans) or module == "jd"  # JD's trace names no site (modelled)


@pytest.mark.parametrize("code,module", ASKABLE)
def test_query_intercept_is_accepted_until_the_carrier_decides(gateway, simulator, code, module):
    carrier = gateway.adapters[code] = adapter(simulator, code, module)
    the_order = order(gateway, code, "int-5", "SIM1000000005")
    carrier.submit_intercept(the_order)
    assert carrier.query_intercept(the_order).result is CarrierResult.accepted
    wait_for(lambda: gateway.events)
    assert carrier.query_intercept(the_order).result is CarrierResult.intercepted


@pytest.mark.parametrize("code,module", ASKABLE)
def test_cancel_before_the_result_stops_the_callback_and_after_it_is_refused(gateway, simulator, code, module):
    slow = CarrierSimulator(gateway_url=gateway.url, credentials=CREDENTIALS, callback_delay=0.5, seed=1)
    slow.start()
    try:
        carrier = gateway.adapters[code] = adapter(slow, code, module)
        the_order = order(gateway, code, "int-4", "SIM1000000004")
        carrier.submit_intercept(the_order)
        assert carrier.cancel_intercept(the_order).cancelled is True
        refused = carrier.cancel_intercept(the_order)
        assert (refused.cancelled, refused.reason_code) == (False, "intercept_not_found")
        time.sleep(0.7)
        assert gateway.events == []
    finally:
        slow.stop()


@pytest.mark.parametrize("code,module", POLLED)
@pytest.mark.parametrize("tracking_no,result,reason", [
    ("SIM1000000005", CarrierResult.intercepted, None),
    ("SIM1000000007", CarrierResult.failed, "parcel_out_for_delivery")])
def test_a_polled_route_answers_accepted_until_it_decides_and_pushes_nothing(
        gateway, simulator, code, module, tracking_no, result, reason):
    slow = CarrierSimulator(gateway_url=gateway.url, credentials=CREDENTIALS, callback_delay=0.5, seed=1)
    slow.start()
    try:
        carrier = gateway.adapters[code] = adapter(slow, code, module)
        the_order = order(gateway, code, "int-p", tracking_no)
        assert carrier.submit_intercept(the_order).result is CarrierResult.accepted
        assert carrier.query_intercept(the_order).result is CarrierResult.accepted
        wait_for(lambda: carrier.query_intercept(the_order).result is not CarrierResult.accepted)
        outcome = carrier.query_intercept(the_order)
        assert (outcome.result, outcome.reason_code) == (result, reason)
        assert slow.submissions(module, tracking_no) == 1   # the repeats were polls, not new instructions
        assert gateway.events == [] and slow.callbacks_sent == []
    finally:
        slow.stop()


@pytest.mark.parametrize("code,module", [("yto", "kuaidi100"), ("yunda", "jumdata")])
def test_a_return_to_the_sending_outlet_is_taken_where_the_route_makes_one(gateway, simulator, code, module):
    outlet = replace(order(gateway, code, "int-3", "SIM1000000003"), return_to=ReturnTo.outlet)
    assert adapter(simulator, code, module).submit_intercept(outlet).result is CarrierResult.accepted
