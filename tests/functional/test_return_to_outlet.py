"""A return to the sending outlet (`return_to: "outlet"`): sent where the route makes one (kuaidi100
RETURN_SEND_STATION, jumdata operationType 1), refused up front (422, the dry run saying the same)
where it does not, and a 400 for a bad value or with a redirect."""
import json
from dataclasses import replace
from urllib.parse import parse_qs

import boto3
import pytest

import app as app_module
from chalicelib import runtime
from chalicelib.carriers import build_adapters, declarations
from chalicelib.domain.models import InterceptStatus, Platform, PolicyName
from chalicelib.domain.returns import ReturnTo
from local.pump import QueuePump
from local.resources import demo_merchant, seed_platform
from tests.conftest import auth, intercept_body
from tests.conftest import post_intercept as post_as

#: Douyin: every carrier, and after-sales of several parcels
DOUYIN, KEY = Platform(id="plat-douyin", name="Douyin", policy=PolicyName.douyin), "key-douyin"

ADDRESS = {"name": "王小明", "phone": "13812341234", "province": "浙江省", "city": "杭州市",
           "district": "西湖区", "street": "文三路 90 号"}
JUMDATA_ACCOUNT = {"customerCode": "YD-C1", "customerPsw": "pw", "customerSiteCode": "S01"}
#: ZTO through kuaidi100, Yunda through jumdata, SF directly (SF returns to the sender only)
CARRIERS = {
    "zto": {"via": "kuaidi100"},
    "kuaidi100": {"base_url": "http://kuaidi100.test", **declarations()["kuaidi100"].new_dev_credentials(),
                  "account": {"partnerId": "P-test"}},
    "yunda": {"via": "jumdata"},
    "jumdata": {"base_url": "http://jumdata.test", **declarations()["jumdata"].new_dev_credentials(),
                "accounts": {"yunda": JUMDATA_ACCOUNT}},
    "sf": {"base_url": "http://sf.test", **declarations()["sf"].new_dev_credentials()},
}
ACCEPTED = {"kuaidi100.test": {"code": 200, "message": "success", "data": {"taskId": "T-1"}},
            "jumdata.test": {"code": 200, "msg": "ok", "taskNo": "T-1", "data": None}}


class RecordingHttp:
    """The carriers' side: every POST kept as its form, answered as accepted."""

    def __init__(self) -> None:
        self.forms: dict[str, list[dict[str, str]]] = {}

    def post(self, url: str, *, data: bytes, headers) -> tuple[int, bytes]:
        host = url.split("/")[2]
        self.forms.setdefault(host, []).append({name: values[0] for name, values in parse_qs(data.decode()).items()})
        return 200, json.dumps(ACCEPTED[host]).encode()


@pytest.fixture
def http():
    return RecordingHttp()


@pytest.fixture
def gw(aws, settings, clock, http):
    gateway = runtime.Gateway(replace(settings, carriers=CARRIERS), clock, adapters=build_adapters(CARRIERS, http))
    seed_platform(gateway.store, DOUYIN, KEY, demo_merchant("2026-01-01T00:00:00.000Z"))
    runtime.use(gateway)
    yield gateway
    runtime.use(None)


def dispatch_all(gw) -> None:
    pump = QueuePump(boto3.client("sqs"), gw.settings.dispatch_queue, app_module.dispatch, wait_seconds=0)
    while pump.run_once():
        pass


def body(carrier: str, tracking_no: str, **changes) -> dict:
    return intercept_body(carrier=carrier, tracking_no=tracking_no, parcel_stage="in_transit", **changes)


def dry_run(client, payload: dict):
    return client.http.post("/v1/eligibility", headers=auth(KEY), body=json.dumps(payload))


def post_intercept(client, payload: dict):
    return post_as(client, payload, key=KEY)


def test_an_outlet_return_through_kuaidi100_is_sent_as_return_send_station(client, gw, http):
    response = post_intercept(client, body("zto", "ZT1000000003", return_to="outlet"))
    assert response.status_code == 202, response.body
    created = json.loads(response.body)
    assert created["return_to"] == "outlet"
    assert gw.store.intercepts.get(created["id"]).return_to == ReturnTo.outlet
    dispatch_all(gw)
    [form] = http.forms["kuaidi100.test"]
    assert json.loads(form["param"])["interceptType"] == "RETURN_SEND_STATION"
    assert gw.store.intercepts.get(created["id"]).status == InterceptStatus.submitted


def test_a_return_to_the_sender_is_the_default_and_is_not_stored(client, gw, http):
    response = post_intercept(client, body("zto", "ZT1000000003"))
    assert response.status_code == 202, response.body
    created = json.loads(response.body)
    assert created["return_to"] is None
    item = boto3.client("dynamodb").scan(TableName=gw.settings.table_name)["Items"]
    assert not any("return_to" in entry for entry in item)
    dispatch_all(gw)
    assert json.loads(http.forms["kuaidi100.test"][0]["param"])["interceptType"] == "RETURN_SEND_ADDR"


@pytest.mark.parametrize("return_to, operation_type", [("outlet", "1"), ("sender", "2")])
def test_jumdata_takes_operation_type_1_for_the_outlet_and_2_for_the_sender(client, gw, http, return_to,
                                                                            operation_type):
    response = post_intercept(client, body("yunda", "YD4300000001", return_to=return_to))
    assert response.status_code == 202, response.body
    dispatch_all(gw)
    [form] = http.forms["jumdata.test"]
    assert (form["operationType"], form["customerCode"]) == (operation_type, "YD-C1")


def test_a_native_carrier_that_returns_to_the_sender_only_refuses_it_in_the_dry_run_and_the_create(client, gw, http):
    payload = body("sf", "SF1234567890", return_to="outlet")
    verdict = json.loads(dry_run(client, payload).body)
    assert verdict["eligible"] is False
    assert [reason["code"] for reason in verdict["reasons"]] == ["return_to_outlet_not_supported"]
    response = post_intercept(client, payload)
    assert response.status_code == 422
    assert json.loads(response.body)["error"]["reasons"] == verdict["reasons"]
    assert json.loads(client.http.get("/v1/intercepts", headers=auth(KEY)).body)["items"] == []
    dispatch_all(gw)
    assert http.forms == {}


def test_an_after_sale_returns_every_target_to_the_outlet_and_refuses_the_target_that_cannot(client, gw, http):
    targets = [{"carrier": "zto", "tracking_no": "ZT1000000003"}, {"carrier": "yunda", "tracking_no": "YD4300000001"},
               {"carrier": "sf", "tracking_no": "SF1234567890"}]
    payload = {**intercept_body(return_to="outlet", parcel_stage="in_transit", targets=targets)}
    del payload["carrier"], payload["tracking_no"]
    dry = json.loads(dry_run(client, payload).body)
    response = post_intercept(client, payload)
    assert response.status_code == 202, response.body
    entries = json.loads(response.body)["intercepts"]
    assert [entry["reasons"] for entry in entries] == [entry["reasons"] for entry in dry["intercepts"]]
    assert [[reason["code"] for reason in entry["reasons"]] for entry in entries] == \
        [[], [], ["return_to_outlet_not_supported"]]
    assert [entry["intercept"] and entry["intercept"]["return_to"] for entry in entries] == ["outlet", "outlet", None]
    dispatch_all(gw)
    assert json.loads(http.forms["kuaidi100.test"][0]["param"])["interceptType"] == "RETURN_SEND_STATION"
    assert http.forms["jumdata.test"][0]["operationType"] == "1"
    assert "sf.test" not in http.forms


@pytest.mark.parametrize("value", ["station", "", 1, None])
def test_a_bad_value_is_400_naming_return_to(client, value):
    response = post_intercept(client, body("zto", "ZT1000000003", return_to=value))
    assert response.status_code == 400
    assert "return_to" in [item["field"] for item in json.loads(response.body)["error"]["fields"]]


def test_an_outlet_return_with_a_redirect_is_400(client):
    response = post_intercept(client, body("zto", "ZT1000000003", return_to="outlet", redirect_to=ADDRESS))
    assert response.status_code == 400
    assert [item["field"] for item in json.loads(response.body)["error"]["fields"]] == ["return_to"]
    assert dry_run(client, body("zto", "ZT1000000003", return_to="outlet", redirect_to=ADDRESS)).status_code == 400


def test_the_return_to_is_part_of_the_idempotency_fingerprint(client):
    assert post_intercept(client, body("zto", "ZT1000000003")).status_code == 202
    assert post_intercept(client, body("zto", "ZT1000000003", return_to="sender")).status_code == 202
    assert post_intercept(client, body("zto", "ZT1000000003", return_to="outlet")).status_code == 409


def test_one_accepted_before_its_carrier_was_rerouted_needs_attention_rather_than_going_to_the_sender(client, gw,
                                                                                                     http):
    response = post_intercept(client, body("zto", "ZT1000000003", return_to="outlet"))
    assert response.status_code == 202, response.body
    direct = {"zto": {"base_url": "http://zto.test", **declarations()["zto"].new_dev_credentials()}}
    gw.adapters = build_adapters(direct, http)  # ZTO now connected directly, which returns to the sender only
    dispatch_all(gw)
    record = gw.store.intercepts.get_with_history(json.loads(response.body)["id"])
    assert record.status == InterceptStatus.needs_attention
    assert "return_to_outlet_not_supported" in record.events[-1].reason
    assert http.forms == {}
