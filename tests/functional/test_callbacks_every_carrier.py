"""POST /callbacks/{carrier} for every carrier, with pushes signed by the simulated carrier.

Good pushes are applied and acknowledged in the carrier's format; a push signed with another
secret is 401 and changes nothing; a replayed push is acknowledged and applied once.
"""
import json

import pytest

from chalicelib.carriers import REGISTRY
from chalicelib.domain.models import Carrier, InterceptStatus
from chalicelib.store import keys
from simulator.protocol import InterceptRequest, Outcome
from simulator.server import CARRIERS as SIMULATED
from tests.conftest import START, put_record
from tests.functional.test_store_races import pending_intercept
from tests.simulator.test_every_protocol import BY_WAYBILL, CREDENTIALS, FAILURE_REASON, ROUTES, SECRET_FIELD

NOW_MS = int(START.timestamp() * 1000)
#: the credential each carrier signs its pushes with (kuaidi100 uses the salt we gave it)
PUSH_SECRET = {**SECRET_FIELD, "kuaidi100": "salt"}


@pytest.fixture(params=ROUTES, ids=[f"{code}-via-{module}" for code, module in ROUTES])
def route(request, gw):
    code, module = request.param
    gw.adapters = {code: REGISTRY[module](code, {"base_url": "http://unused", **CREDENTIALS[module]}, None)}
    record = pending_intercept(f"icp_{code}_{module}").model_copy(
        update={"carrier": Carrier(code), "via": module if module != code else None})
    put_record(gw.store, record)
    if module in BY_WAYBILL:  # its pushes name the parcel: the claim leads to the interception
        gw.store.table.put({**keys.parcel(code, record.tracking_no), "intercept_id": record.id,
                            "platform_id": record.platform_id})
    return code, module, record


def signed_push(module, record, outcome=Outcome.intercepted, event_id="evt-1", secret=None):
    credentials = dict(CREDENTIALS[module])
    if secret:
        credentials[PUSH_SECRET[module]] = secret
    carrier = SIMULATED[module](credentials)
    return carrier.callback(InterceptRequest(record.id, record.tracking_no), outcome, event_id, NOW_MS)


def post(client, code, push):
    return client.http.post(f"/callbacks/{code}", headers=dict(push.headers), body=push.body)


def history(gw, record):
    return gw.store.intercepts.get_with_history(record.id)


def test_a_good_push_is_applied_and_acknowledged_in_the_carriers_format(client, gw, route):
    code, module, record = route
    response = post(client, code, signed_push(module, record))
    assert response.status_code == 200
    assert json.loads(response.body) == json.loads(gw.adapters[code].callback_ack(True).body)
    assert history(gw, record).status == InterceptStatus.intercepted


def test_a_failure_push_maps_the_carriers_code_to_our_reason(client, gw, route):
    code, module, record = route
    assert post(client, code, signed_push(module, record, Outcome.failed_out_for_delivery)).status_code == 200
    stored = history(gw, record)
    expected = FAILURE_REASON.get(module, "parcel_out_for_delivery")
    assert (stored.status, stored.result_reason) == (InterceptStatus.failed, expected)


def test_a_push_signed_with_another_secret_is_401_and_changes_nothing(client, gw, route):
    code, module, record = route
    response = post(client, code, signed_push(module, record, secret="not-the-secret"))
    assert response.status_code == 401
    stored = history(gw, record)
    assert (stored.status, [event.to_status for event in stored.events]) == (InterceptStatus.pending, ["pending"])


def test_a_replayed_push_is_acknowledged_and_applied_once(client, gw, route):
    code, module, record = route
    push = signed_push(module, record)
    assert [post(client, code, push).status_code for _ in range(3)] == [200, 200, 200]
    stored = history(gw, record)
    assert [event.to_status for event in stored.events] == ["pending", "intercepted"]


def sf_route_push(tracking_no, op_code, event_id="evt-r"):
    """A route push as SF's simulator signs it, for any route code."""
    from urllib.parse import urlencode

    from simulator.sf import msg_digest

    msg_data = json.dumps({"Body": {"WaybillRoute": [{"id": event_id, "mailno": tracking_no, "opCode": op_code,
                                                      "acceptTime": "2024-05-01 08:00:00", "remark": "-"}]}})
    timestamp = str(NOW_MS)
    return urlencode({"partnerID": CREDENTIALS["sf"]["partner_id"], "requestID": event_id,
                      "serviceCode": "RoutePushService", "timestamp": timestamp, "msgData": msg_data,
                      "msgDigest": msg_digest(msg_data, timestamp, CREDENTIALS["sf"]["check_word"])})


@pytest.fixture
def sf_record(gw):
    gw.adapters = {"sf": REGISTRY["sf"]("sf", {"base_url": "http://unused", **CREDENTIALS["sf"]}, None)}
    record = pending_intercept("icp_sf_routes").model_copy(update={"carrier": Carrier.sf})
    put_record(gw.store, record)
    gw.store.table.put({**keys.parcel("sf", record.tracking_no), "intercept_id": record.id, "platform_id": "plat-a"})
    return record


@pytest.mark.parametrize("tracking_no,op_code", [("ZT1000000003", "30"), ("SF-NOT-OURS", "99")])
def test_an_sf_route_that_decides_nothing_or_names_another_parcel_is_taken_and_changes_nothing(
        client, gw, sf_record, tracking_no, op_code):
    response = client.http.post("/callbacks/sf", headers={"Content-Type": "application/x-www-form-urlencoded"},
                                body=sf_route_push(tracking_no, op_code))
    assert (response.status_code, json.loads(response.body)["return_code"]) == (200, "0000")
    assert history(gw, sf_record).status == InterceptStatus.pending
