"""POST /v1/eligibility: the dry run answers what a create would, without side effects, and the
parcel stage comes from the body or else from the carrier's tracking query."""
import json

import boto3
import pytest

from chalicelib.carriers.base import CarrierUnavailable
from chalicelib.domain.stages import ParcelStage
from tests.conftest import KEY_A, auth, intercept_body, post_intercept


def dry_run(client, body, key=KEY_A):
    headers = auth(key) if key else {"Content-Type": "application/json"}
    return client.http.post("/v1/eligibility", headers=headers, body=json.dumps(body))


def body_of(response) -> dict:
    return json.loads(response.body)


def queued(gw) -> int:
    url = gw.queues.url(gw.settings.dispatch_queue)
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_an_eligible_parcel_gets_stage_likelihood_and_the_outlets_fee(client):
    response = dry_run(client, intercept_body(parcel_stage="in_transit"))
    assert response.status_code == 200
    assert body_of(response) == {
        "eligible": True, "reasons": [], "warnings": [], "parcel_stage": "in_transit", "success_likelihood": "high",
        "fee_quote": {"amount": 300, "currency": "CNY", "settlement_mode": "offline_outlet", "charged_on": "success",
                      "outlet": {"outlet_id": "zto-demo-outlet", "name": "ZTO demo outlet", "fee": 300}},
    }


def test_an_ineligible_parcel_gets_every_reason_with_200(client):
    answer = body_of(dry_run(client, intercept_body(refund_amount=50_000, package_count=2, parcel_stage="signed")))
    assert answer["eligible"] is False
    assert [reason["code"] for reason in answer["reasons"]] == ["amount_over_cap", "multi_package", "parcel_signed"]
    assert answer["success_likelihood"] == "none"


def test_the_dry_run_writes_nothing_and_queues_nothing(client, gw):
    assert body_of(dry_run(client, intercept_body()))["eligible"] is True
    assert queued(gw) == 0
    assert post_intercept(client, intercept_body()).status_code == 202  # the parcel was not claimed


def test_a_carrier_without_a_connection_is_a_reason(client):
    answer = body_of(dry_run(client, intercept_body(carrier="yto")))
    assert [reason["code"] for reason in answer["reasons"]] == ["carrier_not_connected"]


@pytest.mark.parametrize("body, status", [({"merchant_id": "demo-merchant"}, 400), (intercept_body(), 401)])
def test_bad_bodies_and_missing_keys_are_refused(client, body, status):
    assert dry_run(client, body, key=KEY_A if status == 400 else None).status_code == status


def test_without_a_stage_in_the_body_the_carriers_tracking_decides(client, carrier):
    carrier.query_stage = lambda tracking_no: ParcelStage.signed
    answer = body_of(dry_run(client, intercept_body()))
    assert (answer["eligible"], answer["parcel_stage"]) == (False, "signed")
    response = post_intercept(client, intercept_body())
    assert response.status_code == 422
    assert [reason["code"] for reason in body_of(response)["error"]["reasons"]] == ["parcel_signed"]


def test_a_stage_in_the_body_is_used_without_asking_the_carrier(client, carrier):
    asked = []
    carrier.query_stage = lambda tracking_no: asked.append(tracking_no) or ParcelStage.signed
    assert post_intercept(client, intercept_body(parcel_stage="in_transit")).status_code == 202
    assert asked == []


def test_a_tracking_outage_does_not_block_a_create(client, carrier):
    def down(tracking_no):
        raise CarrierUnavailable("tracking timed out")

    carrier.query_stage = down
    answer = body_of(dry_run(client, intercept_body()))
    assert (answer["eligible"], answer["parcel_stage"], answer["success_likelihood"]) == (True, "unknown", "unknown")
    assert [warning["code"] for warning in answer["warnings"]] == ["parcel_stage_unknown"]
    assert post_intercept(client, intercept_body()).status_code == 202
