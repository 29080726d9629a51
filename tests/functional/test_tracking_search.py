"""GET /v1/intercepts?tracking_no=: every interception of a parcel the calling platform made, found
from the parcel's claims (which keep every interception that held them), never another platform's."""
import json

import pytest

from chalicelib.domain.models import Carrier
from tests.conftest import KEY_A, KEY_B, ScriptedCarrier, auth, intercept_body, post_intercept

PARCEL = "ZT1000000003"


def body_of(response) -> dict:
    return json.loads(response.body)


def cancel(client, intercept_id: str, key: str) -> None:
    response = client.http.post(f"/v1/intercepts/{intercept_id}/cancel", headers=auth(key), body="{}")
    assert response.status_code == 200, response.body


def search(client, query: str, key: str = KEY_A) -> list[str]:
    response = client.http.get(f"/v1/intercepts?{query}", headers=auth(key))
    assert response.status_code == 200, response.body
    return [item["id"] for item in body_of(response)["items"]]


@pytest.fixture
def parcel_history(client, gw, carrier, clock):
    """The parcel intercepted at ZTO by A (cancelled), then B (cancelled), then A again (pending); and
    another of A's parcels. YTO is connected too."""
    gw.adapters = {"zto": carrier, "yto": ScriptedCarrier("yto")}
    first = body_of(post_intercept(client, intercept_body(tracking_no=PARCEL), key=KEY_A, idempotency_key="a1"))
    cancel(client, first["id"], KEY_A)
    clock.advance(minutes=1)
    theirs = body_of(post_intercept(client, intercept_body(tracking_no=PARCEL), key=KEY_B, idempotency_key="b1"))
    cancel(client, theirs["id"], KEY_B)
    clock.advance(minutes=1)
    again = post_intercept(client, intercept_body(tracking_no=PARCEL, order_id="o-2"), key=KEY_A, idempotency_key="a2")
    assert again.status_code == 202, again.body
    clock.advance(minutes=1)
    other = body_of(post_intercept(client, intercept_body(tracking_no="ZT1000000004", order_id="o-3"),
                                   key=KEY_A, idempotency_key="a3"))
    return {"first": first["id"], "theirs": theirs["id"], "again": body_of(again)["id"], "other": other["id"]}


def test_a_tracking_number_finds_the_platforms_intercepts_of_it_in_every_status(client, parcel_history):
    assert search(client, f"tracking_no={PARCEL}") == [parcel_history["again"], parcel_history["first"]]
    assert search(client, f"tracking_no={PARCEL}", key=KEY_B) == [parcel_history["theirs"]]


def test_other_filters_apply_to_the_parcels_intercepts(client, parcel_history):
    assert search(client, f"tracking_no={PARCEL}&status=cancelled") == [parcel_history["first"]]
    assert search(client, f"tracking_no={PARCEL}&status=pending&merchant_id=demo-merchant") == \
        [parcel_history["again"]]
    assert search(client, f"tracking_no={PARCEL}&merchant_id=another-merchant") == []
    assert search(client, f"tracking_no={PARCEL}&created_from=2026-11-23T08:01:30Z") == [parcel_history["again"]]


def test_a_carrier_narrows_the_search_to_that_carriers_parcel(client, gw, clock, parcel_history):
    clock.advance(minutes=1)
    at_yto = post_intercept(client, intercept_body(carrier="yto", tracking_no=PARCEL, order_id="o-4"),
                            idempotency_key="a4")
    assert at_yto.status_code == 202, at_yto.body
    assert search(client, f"tracking_no={PARCEL}") == [body_of(at_yto)["id"], parcel_history["again"],
                                                      parcel_history["first"]]
    assert search(client, f"tracking_no={PARCEL}&carrier=zto") == [parcel_history["again"], parcel_history["first"]]
    assert search(client, f"tracking_no={PARCEL}&carrier=yto") == [body_of(at_yto)["id"]]
    assert search(client, f"tracking_no={PARCEL}&carrier=sto") == []
    assert search(client, "tracking_no=ZT9999999999") == []


def test_a_parcels_intercepts_page_with_a_cursor(client, parcel_history):
    first_page = body_of(client.http.get(f"/v1/intercepts?tracking_no={PARCEL}&limit=1", headers=auth()))
    assert [item["id"] for item in first_page["items"]] == [parcel_history["again"]]
    rest = body_of(client.http.get(f"/v1/intercepts?tracking_no={PARCEL}&limit=1&cursor={first_page['next_cursor']}",
                                   headers=auth()))
    assert [item["id"] for item in rest["items"]] == [parcel_history["first"]] and rest["next_cursor"] is None
    other = client.http.get(f"/v1/intercepts?tracking_no=ZT1000000004&cursor={first_page['next_cursor']}",
                            headers=auth())
    assert other.status_code == 400 and body_of(other)["error"]["fields"][0]["field"] == "cursor"


def test_a_search_reads_the_parcel_claims_and_the_records_in_two_calls(client, gw, monkeypatch, parcel_history):
    calls = []
    table_client = gw.store.table.client
    for operation in ("batch_get_item", "get_item", "query", "scan"):
        original = getattr(table_client, operation)
        monkeypatch.setattr(table_client, operation, lambda *args, _name=operation, _call=original, **kwargs:
                            calls.append((_name, len(kwargs.get("RequestItems", {}).get(gw.store.table.name, {})
                                                     .get("Keys", [])))) or _call(*args, **kwargs))
    assert search(client, f"tracking_no={PARCEL}") == [parcel_history["again"], parcel_history["first"]]
    searched = [call for call in calls if call[0] != "get_item"]  # the API key's and platform's lookups
    # every carrier's claim of the number, then the platform's two records
    assert searched == [("batch_get_item", len(Carrier)), ("batch_get_item", 2)]


def test_a_claim_written_before_it_listed_its_interceptions_still_finds_its_holder(client, gw):
    from chalicelib.store import keys

    record = body_of(post_intercept(client, intercept_body(tracking_no=PARCEL)))
    gw.store.table.put({**keys.parcel("zto", PARCEL), "intercept_id": record["id"], "platform_id": "plat-a"})
    assert search(client, f"tracking_no={PARCEL}") == [record["id"]]
    assert search(client, f"tracking_no={PARCEL}", key=KEY_B) == []


def test_taking_over_a_claim_written_before_keeps_the_holder_it_replaced(client, gw):
    from chalicelib.store import keys

    theirs = body_of(post_intercept(client, intercept_body(tracking_no=PARCEL), key=KEY_B, idempotency_key="b1"))
    cancel(client, theirs["id"], KEY_B)
    gw.store.table.put({**keys.parcel("zto", PARCEL), "intercept_id": theirs["id"], "platform_id": "plat-b"})
    ours = post_intercept(client, intercept_body(tracking_no=PARCEL), key=KEY_A, idempotency_key="a1")
    assert ours.status_code == 202, ours.body
    assert search(client, f"tracking_no={PARCEL}", key=KEY_B) == [theirs["id"]]
    assert search(client, f"tracking_no={PARCEL}") == [body_of(ours)["id"]]


@pytest.mark.parametrize("value", ["", "ZT1", "ZT-100000003", "Z" * 33, "ZT10000000%2303"])
def test_a_bad_tracking_number_is_400_naming_it(client, value):
    response = client.http.get(f"/v1/intercepts?tracking_no={value}", headers=auth())
    assert response.status_code == 400
    assert [item["field"] for item in body_of(response)["error"]["fields"]] == ["tracking_no"]
