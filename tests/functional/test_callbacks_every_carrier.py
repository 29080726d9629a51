"""POST /callbacks/{carrier} for every carrier, with pushes signed by the simulated carrier.

Good pushes are applied and acknowledged in the carrier's format; a push signed with another
secret is 401 and changes nothing; a replayed push is acknowledged and applied once.
"""
import json

import pytest

from chalicelib.carriers import REGISTRY
from chalicelib.domain.models import Carrier, InterceptStatus
from simulator.protocol import InterceptRequest, Outcome
from simulator.server import CARRIERS as SIMULATED
from tests.conftest import START, put_record
from tests.functional.test_store_races import pending_intercept
from tests.simulator.test_every_protocol import CREDENTIALS, ROUTES, SECRET_FIELD

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
    assert (stored.status, stored.result_reason) == (InterceptStatus.failed, "parcel_out_for_delivery")


def test_a_push_signed_with_another_secret_is_401_and_changes_nothing(client, gw, route):
    code, module, record = route
    response = post(client, code, signed_push(module, record, secret="not-the-secret"))
    assert response.status_code == 401
    stored = history(gw, record)
    assert (stored.status, stored.events) == (InterceptStatus.pending, [])


def test_a_replayed_push_is_acknowledged_and_applied_once(client, gw, route):
    code, module, record = route
    push = signed_push(module, record)
    assert [post(client, code, push).status_code for _ in range(3)] == [200, 200, 200]
    stored = history(gw, record)
    assert [event.to_status for event in stored.events] == ["intercepted"]
