"""POST /callbacks/zto with real ZTO signing: verified, applied once, acknowledged in ZTO's format."""
import json
from urllib.parse import urlencode

import pytest

from chalicelib.carriers.adapter import ProtocolAdapter
from chalicelib.carriers.zto import DECLARATION
from chalicelib.carriers.zto.protocol import push_sign
from chalicelib.carriers.zto.settings import ZtoSettings
from chalicelib.domain.models import InterceptStatus
from tests.conftest import auth, intercept_body, post_intercept

SETTINGS = ZtoSettings(base_url="http://zto.test", app_key="app-key", app_secret="app-secret", company_id="company")


@pytest.fixture
def zto_gateway(gw, clock):
    gw.adapters = {"zto": ProtocolAdapter(DECLARATION, SETTINGS, http=None)}
    return gw


def push(client, clock, intercept_id, status="INTERCEPT_SUCCESS", event_id="evt-1", tracking_no="ZT1000000003",
         secret=SETTINGS.app_secret, skew_ms=0, **extra):
    data = json.dumps({"eventId": event_id, "orderId": intercept_id, "billCode": tracking_no, "status": status,
                       "timestamp": int(clock.now().timestamp() * 1000) + skew_ms, **extra})
    body = urlencode({"data": data, "data_digest": push_sign(data, secret), "company_id": SETTINGS.company_id,
                      "msg_type": "INTERCEPT_RESULT"}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return client.http.post("/callbacks/zto", headers=headers, body=body)


def created(client) -> str:
    # The stage is given, so create asks no tracking query of this HTTP-less adapter.
    return json.loads(post_intercept(client, intercept_body(parcel_stage="in_transit")).body)["id"]


def history(client, intercept_id) -> dict:
    return json.loads(client.http.get(f"/v1/intercepts/{intercept_id}", headers=auth()).body)


def test_a_signed_success_intercepts_and_starts_the_automatic_refund(client, zto_gateway, clock):
    intercept_id = created(client)
    response = push(client, clock, intercept_id)
    assert response.status_code == 200
    assert json.loads(response.body) == {"status": True, "message": "success", "statusCode": "0"}
    record = history(client, intercept_id)
    assert (record["status"], record["refund_status"]) == ("intercepted", "refund_auto")
    assert record["events"][-1]["source"] == "carrier"


def test_a_bad_signature_is_401_and_changes_nothing(client, zto_gateway, clock):
    intercept_id = created(client)
    response = push(client, clock, intercept_id, secret="guessed")
    assert response.status_code == 401
    assert json.loads(response.body)["status"] is False
    assert history(client, intercept_id)["status"] == "pending"


def test_a_stale_push_is_refused(client, zto_gateway, clock):
    intercept_id = created(client)
    assert push(client, clock, intercept_id, skew_ms=-(10 * 60 * 1000 + 1000)).status_code == 401
    assert history(client, intercept_id)["status"] == "pending"


def test_a_replayed_push_is_acknowledged_and_applied_once(client, zto_gateway, clock):
    intercept_id = created(client)
    assert push(client, clock, intercept_id).status_code == 200
    assert push(client, clock, intercept_id).status_code == 200
    assert [event["to_status"] for event in history(client, intercept_id)["events"]] == ["pending", "intercepted"]


def test_a_late_acceptance_after_the_result_changes_nothing(client, zto_gateway, clock):
    intercept_id = created(client)
    push(client, clock, intercept_id, status="INTERCEPT_SUCCESS", event_id="evt-result")
    response = push(client, clock, intercept_id, status="ACCEPTED", event_id="evt-late")
    assert response.status_code == 200
    record = history(client, intercept_id)
    assert record["status"] == "intercepted"
    assert len(record["events"]) == 2


def test_a_failure_records_the_carriers_reason(client, zto_gateway, clock):
    intercept_id = created(client)
    push(client, clock, intercept_id, status="INTERCEPT_FAIL", reasonCode="DISPATCHED", message="派件中")
    record = history(client, intercept_id)
    assert (record["status"], record["result_reason"]) == ("failed", "parcel_out_for_delivery")
    assert record["events"][-1]["reason"] == "派件中"


def test_a_cancelled_intercept_ignores_a_later_result(client, zto_gateway, clock):
    intercept_id = created(client)
    client.http.post(f"/v1/intercepts/{intercept_id}/cancel", headers=auth(), body="{}")
    assert push(client, clock, intercept_id).status_code == 200
    assert history(client, intercept_id)["status"] == InterceptStatus.cancelled


@pytest.mark.parametrize("intercept_id, tracking_no", [("icp_unknown", "ZT1000000003"), (None, "ZT9999999999")])
def test_an_unknown_order_or_mismatched_tracking_number_is_404(client, zto_gateway, clock, intercept_id,
                                                               tracking_no):
    real_id = created(client)
    response = push(client, clock, intercept_id or real_id, tracking_no=tracking_no)
    assert response.status_code == 404
    assert history(client, real_id)["status"] == "pending"


def test_an_unknown_carrier_is_404(client, zto_gateway):
    response = client.http.post("/callbacks/ups", headers={"Content-Type": "application/json"}, body="{}")
    assert response.status_code == 404


def test_garbage_is_401_never_500(client, zto_gateway):
    response = client.http.post("/callbacks/zto", headers={"Content-Type": "text/plain"}, body="\x00\xff")
    assert response.status_code == 401
