"""The parcel's tracking history (走件记录) on the record: every scan the gateway learns (the create's
tracking query, carrier pushes, tracking queries while polling) kept once, in time order, with the
unified stage and the carrier's own text, beside the record item and shown by GET /v1/intercepts/{id}."""
import json
from datetime import timedelta

import pytest

from chalicelib.clock import to_iso
from chalicelib.domain.models import InterceptStatus
from chalicelib.domain.stages import TRACKING_CAP, ParcelStage, TrackingScan
from chalicelib.store import keys
from chalicelib.store.codec import to_item
from chalicelib.store.tracking import scans_of
from local.resources import demo_merchant, seed_platform
from tests.conftest import START, auth, intercept_body, post_intercept
from tests.functional.test_after_sales import DOUYIN, KEY_DOUYIN
from tests.functional.test_callbacks_every_carrier import (
    NOW_MS,
    history,
    sf_record,  # noqa: F401 (fixture)
)
from tests.functional.test_dispatch_worker import pump  # noqa: F401 (fixture)

TRACKING_NO = "ZT1000000003"
GOT = TrackingScan(at="2026-11-19T02:00:00.000Z", stage=ParcelStage.picked_up, code="GOT", text="【杭州】已揽收",
                   location="杭州萧山")
DEPARTED = TrackingScan(at="2026-11-19T09:30:00.000Z", stage=ParcelStage.in_transit, code="DEPARTURE",
                        text="【杭州转运中心】已发出", location="杭州转运中心")
ARRIVED = TrackingScan(at="2026-11-20T01:10:00.000Z", stage=ParcelStage.at_destination_city, code="ARRIVAL",
                       text="【上海转运中心】已到达")


def kept(gw, intercept_id: str) -> list[TrackingScan]:
    item = gw.store.table.get(keys.tracking(intercept_id))
    return scans_of(item) if item else []


def tracking_items(gw) -> int:
    return gw.store.table.client.scan(TableName=gw.store.table.name, FilterExpression="SK = :tracking",
                                      ExpressionAttributeValues=to_item({":tracking": keys.TRACKING_SK}))["Count"]


def shown(client, intercept_id: str) -> dict:
    response = client.http.get(f"/v1/intercepts/{intercept_id}", headers=auth())
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def as_shown(*scans: TrackingScan) -> list[dict]:
    return [scan.model_dump(mode="json") for scan in scans]


def test_the_creates_tracking_query_is_kept_in_order_once_beside_the_record(client, gw, carrier):
    carrier.scans[TRACKING_NO] = [DEPARTED, GOT, DEPARTED]  # out of order, one twice
    created = json.loads(post_intercept(client, intercept_body()).body)
    assert created["tracking"] == as_shown(GOT, DEPARTED)  # the create's answer shows what it learned
    record = shown(client, created["id"])
    assert record["tracking"] == as_shown(GOT, DEPARTED)
    assert [event["to_status"] for event in record["events"]] == ["pending"]
    item = gw.store.table.client.get_item(TableName=gw.store.table.name,
                                          Key=to_item(keys.intercept(created["id"])))["Item"]
    assert "tracking" not in item  # the record item stays one write unit
    listed = json.loads(client.http.get("/v1/intercepts", headers=auth()).body)["items"]
    assert "tracking" not in listed[0]


def test_a_dry_run_keeps_nothing(client, gw, carrier):
    carrier.scans[TRACKING_NO] = [GOT]
    response = client.http.post("/v1/eligibility", headers=auth(), body=json.dumps(intercept_body()))
    assert response.status_code == 200, response.body
    assert tracking_items(gw) == 0


def test_an_after_sale_keeps_each_parcels_own_scans(client, gw, carrier):
    carrier.scans = {"ZT1000000013": [GOT], "ZT1000000023": [GOT, ARRIVED]}
    body = intercept_body(targets=[{"carrier": "zto", "tracking_no": number} for number in carrier.scans])
    del body["carrier"], body["tracking_no"]
    seed_platform(gw.store, DOUYIN, KEY_DOUYIN, demo_merchant("2026-01-01T00:00:00.000Z"))
    created = post_intercept(client, body, key=KEY_DOUYIN)
    assert created.status_code == 202, created.body
    first, second = (entry["intercept"]["id"] for entry in json.loads(created.body)["intercepts"])
    assert [kept(gw, first), kept(gw, second)] == [[GOT], [GOT, ARRIVED]]
    assert gw.store.intercepts.get_with_history(second).tracking == [GOT, ARRIVED]


def test_a_poll_keeps_only_the_scans_not_kept_yet(client, gw, pump, carrier, clock):  # noqa: F811
    carrier.scans[TRACKING_NO] = [GOT]
    intercept_id = json.loads(post_intercept(client, intercept_body()).body)["id"]
    pump.run_once()  # submitted
    carrier.scans[TRACKING_NO] = [GOT, DEPARTED, ARRIVED]
    clock.advance(minutes=11)
    answer = poll_with_tracking(gw, clock)
    assert (answer["polled"], answer["scans_kept"]) == (1, 2)
    clock.advance(minutes=11)
    assert poll_with_tracking(gw, clock)["scans_kept"] == 0  # the same list again writes nothing
    assert shown(client, intercept_id)["tracking"] == as_shown(GOT, DEPARTED, ARRIVED)
    assert carrier.tracked == [TRACKING_NO, TRACKING_NO, TRACKING_NO]  # the create, then each poll


def poll_with_tracking(gw, clock):
    from chalicelib.schedules.poll_overdue import poll_overdue_results

    return poll_overdue_results(gw.store.intercepts, gw.adapters, gw.carrier_results, clock,
                                gw.settings.callback_url, older_than_seconds=600, tracking=gw.store.tracking)


def test_the_scheduled_poll_keeps_scans(client, gw, pump, carrier, clock):  # noqa: F811
    intercept_id = json.loads(post_intercept(client, intercept_body()).body)["id"]
    pump.run_once()
    carrier.scans[TRACKING_NO] = [ARRIVED]
    clock.advance(minutes=gw.settings.poll_submitted_after_seconds // 60 + 1)
    assert gw.poll_overdue()["scans_kept"] == 1
    assert gw.store.intercepts.get_with_history(intercept_id).tracking == [ARRIVED]


def sf_routes_push(tracking_no: str, routes: list[tuple[str, str, str]], event_id: str = "evt-r") -> str:
    """A signed SF route push of several routes (opCode, acceptTime, remark) for one waybill."""
    from urllib.parse import urlencode

    from simulator.sf import msg_digest
    from tests.simulator.test_every_protocol import CREDENTIALS

    msg_data = json.dumps({"Body": {"WaybillRoute": [
        {"id": f"{event_id}-{n}", "mailno": tracking_no, "opCode": code, "acceptTime": at, "remark": remark,
         "acceptAddress": "深圳市"} for n, (code, at, remark) in enumerate(routes)]}}, ensure_ascii=False)
    timestamp = str(NOW_MS)
    return urlencode({"partnerID": CREDENTIALS["sf"]["partner_id"], "requestID": event_id,
                      "serviceCode": "RoutePushService", "timestamp": timestamp, "msgData": msg_data,
                      "msgDigest": msg_digest(msg_data, timestamp, CREDENTIALS["sf"]["check_word"])})


ROUTES = [("50", "2024-05-01 10:00:00", "顺丰速运 已收取快件"), ("99", "2024-05-01 16:00:00", "应客户要求，快件正在退回中")]


def test_an_sf_route_push_keeps_its_routes_once_and_applies_the_result(client, gw, sf_record):  # noqa: F811
    push = sf_routes_push(sf_record.tracking_no, ROUTES)
    for _ in range(3):  # SF pushes again until it is acknowledged; a repeat is the same scans
        response = client.http.post("/callbacks/sf", headers={"Content-Type": "application/x-www-form-urlencoded"},
                                    body=push)
        assert response.status_code == 200, response.body
    stored = history(gw, sf_record)
    assert stored.status == InterceptStatus.intercepted
    assert [(scan.at, scan.stage, scan.code, scan.text, scan.location) for scan in stored.tracking] == [
        ("2024-05-01T02:00:00.000Z", ParcelStage.picked_up, "50", "顺丰速运 已收取快件", "深圳市"),
        ("2024-05-01T08:00:00.000Z", ParcelStage.returning, "99", "应客户要求，快件正在退回中", "深圳市")]
    assert gw.store.table.get(keys.tracking(sf_record.id))["version"] == 1  # the repeats wrote nothing


def test_a_route_push_about_a_parcel_we_hold_no_interception_for_keeps_nothing(client, gw, sf_record):  # noqa: F811
    response = client.http.post("/callbacks/sf", headers={"Content-Type": "application/x-www-form-urlencoded"},
                                body=sf_routes_push("SF-NOT-OURS", ROUTES))
    assert response.status_code == 200
    assert tracking_items(gw) == 0


def test_a_forged_route_push_keeps_nothing(client, gw, sf_record):  # noqa: F811
    push = sf_routes_push(sf_record.tracking_no, ROUTES).replace("msgDigest=", "msgDigest=x")
    response = client.http.post("/callbacks/sf", headers={"Content-Type": "application/x-www-form-urlencoded"},
                                body=push)
    assert response.status_code == 401
    assert kept(gw, sf_record.id) == []


def test_scans_beyond_the_cap_keep_the_newest(gw):
    many = [TrackingScan(at=to_iso(START + timedelta(minutes=n)), stage=ParcelStage.in_transit, code="DEPARTURE",
                         text=f"scan {n}") for n in range(TRACKING_CAP + 30)]
    assert gw.store.tracking.add("icp_many", many) == TRACKING_CAP
    assert kept(gw, "icp_many") == many[-TRACKING_CAP:]  # the newest
    assert gw.store.tracking.add("icp_many", many[:10]) == 0  # older than all kept: nothing to add


def test_a_push_and_a_poll_merging_at_once_both_keep_their_scans(gw, monkeypatch):
    gw.store.tracking.add("icp_race", [GOT], new_record=True)
    real_get = gw.store.table.get
    raced = []

    def get_then_someone_else_merges(key, consistent=True):
        found = real_get(key, consistent)
        if not raced:  # between this read and its write, a push merges ARRIVED
            raced.append(True)
            gw.store.tracking.add("icp_race", [ARRIVED])
        return found

    monkeypatch.setattr(gw.store.table, "get", get_then_someone_else_merges)
    assert gw.store.tracking.add("icp_race", [DEPARTED]) == 1
    monkeypatch.undo()
    assert kept(gw, "icp_race") == [GOT, DEPARTED, ARRIVED]


def test_the_tracking_item_of_a_busy_parcel_stays_small(gw):
    ten = [TrackingScan(at=to_iso(START + timedelta(hours=n)), stage=ParcelStage.in_transit, code="DEPARTURE",
                        text=f"【杭州转运中心】已发出，下一站【上海转运中心】（第 {n} 站）", location="杭州转运中心")
           for n in range(10)]
    gw.store.tracking.add("icp_ten", ten, new_record=True)
    item = gw.store.table.client.get_item(TableName=gw.store.table.name, Key=to_item(keys.tracking("icp_ten")))["Item"]
    assert len(item["scans"]["B"]) < 1024 - 100  # with its keys, one write unit


@pytest.mark.parametrize("text", ["<script>alert(1)</script>" * 20, "x" * 5000])
def test_a_scans_text_is_kept_as_data_and_bounded(gw, text):
    from chalicelib.carriers.common import ScanFields, tracking_scans

    scans = tracking_scans([{"code": "GOT", "at": "2026-11-19 10:00:00", "text": text, "site": {"name": "杭州"}}],
                           ScanFields(code="code", at="at", text="text", location="site"), {"GOT": ParcelStage.picked_up})
    assert len(scans[0].text) == 200 and scans[0].location == "杭州" and scans[0].at == "2026-11-19T02:00:00.000Z"


def test_a_push_whose_tracking_keeps_changing_under_it_is_answered_503_for_sf_to_push_again(
        client, gw, sf_record, monkeypatch):  # noqa: F811
    from chalicelib.store.refusals import StaleState

    def always_raced(*args, **kwargs):
        raise StaleState("tracking changed 5 times while merging")

    monkeypatch.setattr(gw.store.tracking, "add", always_raced)
    response = client.http.post("/callbacks/sf", headers={"Content-Type": "application/x-www-form-urlencoded"},
                                body=sf_routes_push(sf_record.tracking_no, ROUTES))
    assert response.status_code == 503 and json.loads(response.body)["return_code"] != "0000"
    assert history(gw, sf_record).status == InterceptStatus.pending  # nothing applied: the repeat applies it
