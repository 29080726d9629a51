"""Re-addressing instead of returning to the sender: accepted for carriers that offer it, refused
up front (422, before anything is written) for the others, and handed to the carrier's adapter."""
import json

import boto3
import pytest

import app as app_module
from chalicelib.carriers.base import Address
from chalicelib.domain.models import InterceptStatus
from local.pump import QueuePump
from tests.conftest import ScriptedCarrier, auth, intercept_body, post_intercept

ADDRESS = {"name": "王小明", "phone": "13812341234", "province": "浙江省", "city": "杭州市",
           "district": "西湖区", "street": "文三路 90 号"}


@pytest.fixture
def yto(gw, carrier):
    """YTO reached through kuaidi100, which re-addresses; ZTO connected directly, which does not."""
    redirecting = ScriptedCarrier("yto", can_redirect=True)
    gw.adapters = {"zto": carrier, "yto": redirecting}
    return redirecting


def dispatch_all(gw) -> None:
    pump = QueuePump(boto3.client("sqs"), gw.settings.dispatch_queue, app_module.dispatch, wait_seconds=0)
    while pump.run_once():
        pass


def test_a_redirect_reaches_the_carrier_with_the_new_address(client, gw, yto):
    response = post_intercept(client, intercept_body(carrier="yto", tracking_no="YT1234567890", redirect_to=ADDRESS))
    assert response.status_code == 202, response.body
    created = json.loads(response.body)
    assert created["redirect_to"] == ADDRESS
    dispatch_all(gw)
    assert [order.redirect_to for order in yto.submitted] == [Address(**ADDRESS)]
    assert gw.store.intercepts.get(created["id"]).status == InterceptStatus.submitted


def test_without_redirect_the_order_returns_to_the_sender(client, gw, yto):
    assert post_intercept(client, intercept_body(carrier="yto", tracking_no="YT1234567890")).status_code == 202
    dispatch_all(gw)
    assert [order.redirect_to for order in yto.submitted] == [None]


def test_a_carrier_that_only_returns_refuses_a_redirect_before_anything_is_written(client, gw, yto, carrier):
    response = post_intercept(client, intercept_body(redirect_to=ADDRESS))
    assert response.status_code == 422
    assert [reason["code"] for reason in json.loads(response.body)["error"]["reasons"]] == ["redirect_not_supported"]
    listed = json.loads(client.http.get("/v1/intercepts", headers=auth()).body)
    assert listed["items"] == []
    dispatch_all(gw)
    assert carrier.submitted == []


def test_the_dry_run_names_the_same_refusal(client, yto):
    response = client.http.post("/v1/eligibility", headers=auth(), body=json.dumps(intercept_body(redirect_to=ADDRESS)))
    assert response.status_code == 200
    assert [reason["code"] for reason in json.loads(response.body)["reasons"]] == ["redirect_not_supported"]


@pytest.mark.parametrize("field, value", [("phone", "12345"), ("street", ""), ("name", "x" * 51)])
def test_a_bad_address_is_400_naming_the_field(client, yto, field, value):
    response = post_intercept(client, intercept_body(carrier="yto", tracking_no="YT1234567890",
                                                     redirect_to={**ADDRESS, field: value}))
    assert response.status_code == 400
    assert f"redirect_to.{field}" in [item["field"] for item in json.loads(response.body)["error"]["fields"]]


def test_the_redirect_is_part_of_the_idempotency_fingerprint(client, yto):
    first = post_intercept(client, intercept_body(carrier="yto", tracking_no="YT1234567890", redirect_to=ADDRESS))
    assert first.status_code == 202
    other = {**ADDRESS, "street": "文二路 1 号"}
    again = post_intercept(client, intercept_body(carrier="yto", tracking_no="YT1234567890", redirect_to=other))
    assert again.status_code == 409
