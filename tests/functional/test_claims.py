"""Claims for loss or damage after a successful interception, and their resolution."""
import json

from tests.conftest import KEY_B, auth, deliver_webhooks, intercept_body, post_intercept


def intercepted(client, gw) -> str:
    intercept_id = json.loads(post_intercept(client, intercept_body()).body)["id"]
    gw.carrier_results.apply(intercept_id, "intercepted", source="carrier")
    return intercept_id


def open_claim(client, intercept_id: str, key=None, **body):
    payload = {"amount": 2999, "description": "box crushed on the way back", "evidence": ["s3://photos/1.jpg"],
               **body}
    return client.http.post(f"/v1/intercepts/{intercept_id}/claims", headers=auth(key) if key else auth(),
                            body=json.dumps(payload))


def resolve(client, intercept_id: str, claim_id: str, status: str, note: str = ""):
    return client.http.post(f"/v1/intercepts/{intercept_id}/claims/{claim_id}/resolution", headers=auth(),
                            body=json.dumps({"status": status, "note": note}))


def test_a_claim_is_opened_listed_and_paid_once(client, gw):
    intercept_id = intercepted(client, gw)
    response = open_claim(client, intercept_id)
    assert response.status_code == 201
    claim = json.loads(response.body)
    assert (claim["status"], claim["amount"], claim["evidence"]) == ("open", 2999, ["s3://photos/1.jpg"])
    paid = resolve(client, intercept_id, claim["id"], "paid", note="carrier paid offline")
    assert paid.status_code == 200 and json.loads(paid.body)["status"] == "paid"
    again = resolve(client, intercept_id, claim["id"], "rejected")
    assert again.status_code == 409
    assert json.loads(again.body)["error"]["code"] == "claim_already_resolved"
    record = json.loads(client.http.get(f"/v1/intercepts/{intercept_id}", headers=auth()).body)
    assert [(item["id"], item["status"]) for item in record["claims"]] == [(claim["id"], "paid")]
    assert record["events"][-1]["reason"] == f"claim {claim['id']} paid: carrier paid offline"
    deliver_webhooks(gw)
    types = [item["type"] for item in gw.store.deliveries.of_intercept(intercept_id)]
    assert types[-2:] == ["claim.opened", "claim.paid"]


def test_a_claim_before_a_successful_interception_is_409(client):
    intercept_id = json.loads(post_intercept(client, intercept_body()).body)["id"]
    response = open_claim(client, intercept_id)
    assert response.status_code == 409
    assert json.loads(response.body)["error"]["code"] == "claim_not_allowed"


def test_a_claim_needs_a_positive_integer_amount_in_fen(client, gw):
    intercept_id = intercepted(client, gw)
    response = open_claim(client, intercept_id, amount=29.99)
    assert response.status_code == 400
    assert json.loads(response.body)["error"]["fields"][0]["field"] == "amount"


def test_another_tenants_intercept_is_404(client, gw):
    intercept_id = intercepted(client, gw)
    assert open_claim(client, intercept_id, key=KEY_B).status_code == 404


def test_an_unknown_claim_is_404(client, gw):
    intercept_id = intercepted(client, gw)
    assert resolve(client, intercept_id, "clm_missing", "paid").status_code == 404
