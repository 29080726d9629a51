"""Webhooks to platforms: registration, Standard Webhooks signatures, retries, 410, the relay."""
import json

import boto3
import pytest
from standardwebhooks.webhooks import Webhook

from chalicelib.queues import QueueMessage
from local.stream_pump import StreamPump, in_process_streams_client
from local.webhook_receiver import WebhookReceiver
from tests.conftest import auth, deliver_webhooks, intercept_body, post_intercept, relay


@pytest.fixture(autouse=True)
def delays_on_the_gateway_clock(request):
    """Retries wait on the test's fixed clock (tests.conftest.delays_on_clock)."""
    if "gw" in request.fixturenames:
        request.getfixturevalue("delays_on_clock")


@pytest.fixture
def receiver():
    server = WebhookReceiver()
    yield server
    server.stop()


def register(client, url: str):
    return client.http.put("/v1/webhook-endpoint", headers=auth(), body=json.dumps({"url": url}))


def drain(gw) -> int:
    """Relay and deliver what is due, as the stream's and the queue's Lambda functions would."""
    return deliver_webhooks(gw)


def deliveries(client, intercept_id: str) -> list[dict]:
    response = client.http.get(f"/v1/intercepts/{intercept_id}/webhook-deliveries", headers=auth())
    assert response.status_code == 200
    return json.loads(response.body)["items"]


def create(client) -> str:
    return json.loads(post_intercept(client, intercept_body()).body)["id"]


def test_a_created_intercept_is_delivered_signed_per_standard_webhooks(client, gw, receiver):
    response = register(client, receiver.url)
    assert response.status_code == 200
    secret = json.loads(response.body)["secret"]
    assert secret.startswith("whsec_")
    intercept_id = create(client)
    drain(gw)
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    payload = Webhook(secret).verify(body, headers)
    assert payload["type"] == "intercept.created"
    assert payload["timestamp"] == "2026-11-23T08:00:00.000Z"
    assert payload["data"]["intercept"]["id"] == intercept_id
    log = deliveries(client, intercept_id)
    assert [(item["type"], item["status"], item["attempts"]) for item in log] == [("intercept.created", "delivered", 1)]
    assert log[0]["id"] == headers["webhook-id"]
    assert log[0]["attempts_log"][0]["status_code"] == 204


def test_every_change_emits_its_event_in_order(client, gw, receiver):
    register(client, receiver.url)
    intercept_id = create(client)
    gw.carrier_results.apply(intercept_id, "accepted", source="carrier")
    gw.carrier_results.apply(intercept_id, "intercepted", source="carrier")
    assert deliveries(client, intercept_id) == []      # listed from their first attempt on
    drain(gw)
    assert [item["type"] for item in deliveries(client, intercept_id)] == [
        "intercept.created", "intercept.submitted", "intercept.succeeded", "refund.auto"]
    assert sorted(json.loads(body)["type"] for _, body in receiver.received) == [
        "intercept.created", "intercept.submitted", "intercept.succeeded", "refund.auto"]


def test_a_rotated_secret_keeps_verifying_for_24_hours(client, gw, clock, receiver):
    old = json.loads(register(client, receiver.url).body)["secret"]
    rotated = json.loads(register(client, receiver.url).body)
    assert rotated["previous_secrets_valid_until"] == "2026-11-24T08:00:00.000Z"
    create(client)
    drain(gw)
    headers, body = receiver.received[-1]
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(body, headers)
    Webhook(rotated["secret"]).verify(body, headers)
    clock.advance(hours=24)
    gw.carrier_results.apply(json.loads(body)["data"]["intercept"]["id"], "accepted", source="carrier")
    drain(gw)
    headers, body = receiver.received[-1]
    assert len(headers["webhook-signature"].split(" ")) == 1
    Webhook(rotated["secret"]).verify(body, headers)


def test_a_failing_endpoint_is_retried_with_backoff_until_it_answers(client, gw, clock, receiver):
    register(client, receiver.url)
    receiver.statuses = [500, 503]
    intercept_id = create(client)
    drain(gw)
    [item] = deliveries(client, intercept_id)
    assert (item["status"], item["attempts"]) == ("pending", 1)
    assert item["next_attempt_at"] > "2026-11-23T08:00:00.000Z"
    assert drain(gw) == 0      # the retry waits on the queue: 5 s +-20 %
    clock.advance(seconds=7)
    assert drain(gw) == 1
    clock.advance(seconds=25)  # past the second wait (20 s +-20 %)
    assert drain(gw) == 1
    assert gw.resend_due_webhooks() == 0   # short waits never reach the outbox sweep
    [item] = deliveries(client, intercept_id)
    assert (item["status"], item["attempts"]) == ("delivered", 3)
    assert [entry.get("status_code") for entry in item["attempts_log"]] == [500, 503, 204]
    assert len(receiver.received) == 3
    assert len({headers["webhook-id"] for headers, _ in receiver.received}) == 1


def test_a_duplicate_message_sends_once(client, gw, receiver):
    register(client, receiver.url)
    create(client)
    relay(gw)
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName="intercept-notify")["QueueUrl"]
    [message] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    copy = QueueMessage(message["MessageId"], message["ReceiptHandle"], message["Body"])
    gw.webhook_delivery.handle_batch([copy])
    gw.webhook_delivery.handle_batch([copy])
    assert len(receiver.received) == 1


def test_410_disables_the_endpoint(client, gw, receiver):
    register(client, receiver.url)
    receiver.statuses = [410]
    intercept_id = create(client)
    drain(gw)
    endpoint = json.loads(client.http.get("/v1/webhook-endpoint", headers=auth()).body)
    assert endpoint["enabled"] is False and "410" in endpoint["disabled_reason"]
    gw.carrier_results.apply(intercept_id, "accepted", source="carrier")
    drain(gw)
    assert [item["status"] for item in deliveries(client, intercept_id)] == ["endpoint_gone", "no_endpoint"]
    assert len(receiver.received) == 1
    register(client, receiver.url)
    assert json.loads(client.http.get("/v1/webhook-endpoint", headers=auth()).body)["enabled"] is True


def test_after_three_days_of_failures_the_delivery_goes_to_the_dlq(client, gw, clock, receiver):
    register(client, receiver.url)
    receiver.statuses = [500] * 50
    intercept_id = create(client)
    drain(gw)
    for _ in range(30):
        clock.advance(hours=13)
        gw.resend_due_webhooks()
        drain(gw)
    [item] = deliveries(client, intercept_id)
    assert item["status"] == "exhausted"
    last_attempt = item["attempts_log"][-1]["at"]
    assert "2026-11-25T20:00" < last_attempt < "2026-11-27T08:00"   # about three days after creation
    sqs = boto3.client("sqs")
    dlq = sqs.get_queue_url(QueueName="intercept-notify-dlq")["QueueUrl"]
    [dead] = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
    assert json.loads(dead["Body"])["message_id"] == item["id"]


def test_an_operator_redrive_of_the_notify_dlq_sends_the_exhausted_delivery_again(client, gw, clock, receiver):
    register(client, receiver.url)
    receiver.statuses = [500] * 50
    intercept_id = create(client)
    drain(gw)
    for _ in range(30):
        clock.advance(hours=13)
        gw.resend_due_webhooks()
        drain(gw)
    [exhausted] = deliveries(client, intercept_id)
    assert exhausted["status"] == "exhausted"
    failures = len(receiver.received)

    receiver.statuses = [500]  # fails once more after the redrive, then answers 200
    assert gw.operations.redrive("intercept-notify", 10) == {"queue": "intercept-notify", "moved": 1, "dropped": 0,
                                                             "left": 0}
    drain(gw)
    [retrying] = deliveries(client, intercept_id)
    assert retrying["status"] == "pending"  # a new retry window: the failure is retried, not exhausted at once
    clock.advance(minutes=1)
    drain(gw)
    [delivered] = deliveries(client, intercept_id)
    assert delivered["status"] == "delivered" and delivered["attempts"] == exhausted["attempts"] + 2
    assert len(receiver.received) == failures + 2
    assert gw.operations.redrive("intercept-notify", 10)["moved"] == 0  # the DLQ is empty


def test_a_change_whose_relay_failed_is_relayed_when_the_queue_answers_again(client, gw, receiver, monkeypatch):
    register(client, receiver.url)

    def unreachable(queue, messages, delay_seconds=0):
        raise ConnectionError("SQS unreachable")

    intercept_id = create(client)
    with monkeypatch.context() as broken:
        broken.setattr(gw.queues, "send_all", unreachable)
        relay(gw)                               # the batch fails at the record that owes a webhook
    assert deliveries(client, intercept_id) == [] and receiver.received == []
    drain(gw)
    assert [item["status"] for item in deliveries(client, intercept_id)] == ["delivered"]
    assert len(receiver.received) == 1


def test_a_stream_read_again_from_its_start_sends_nothing_twice(client, gw, receiver):
    """Lambda may hand a stream record over more than once: each delivery's id comes from the
    record, and the notify worker creates it conditionally."""
    register(client, receiver.url)
    intercept_id = create(client)
    gw.carrier_results.apply(intercept_id, "accepted", source="carrier")
    drain(gw)
    sent = len(receiver.received)
    import app as app_module

    again = StreamPump(boto3.client("dynamodb"), in_process_streams_client(), gw.settings.table_name, app_module.relay_changes)
    assert again.run_once() > 0
    drain(gw)
    assert len(receiver.received) == sent == 2
    assert [item["attempts"] for item in deliveries(client, intercept_id)] == [1, 1]


def test_a_retry_that_arrives_early_waits_for_the_rest_of_its_delay(client, gw, clock, receiver):
    """A queue delay ends by the queue's clock; the due time is the gateway's. A message a little
    early is queued again for what is left, not dropped."""
    register(client, receiver.url)
    receiver.statuses = [500]
    intercept_id = create(client)
    drain(gw)
    [held] = gw.queues.send_all.held
    gw.queues.send_all.held.clear()
    gw.queues.send_all(held[1], held[2])    # the queue lets it go at once
    assert drain(gw) == 1
    assert len(receiver.received) == 1 and len(gw.queues.send_all.held) == 1
    clock.advance(seconds=7)
    drain(gw)
    assert [(item["status"], item["attempts"]) for item in deliveries(client, intercept_id)] == [("delivered", 2)]


def test_without_an_endpoint_the_delivery_is_logged_as_not_sent(client, gw, receiver):
    intercept_id = create(client)
    drain(gw)
    assert [item["status"] for item in deliveries(client, intercept_id)] == ["no_endpoint"]


@pytest.mark.parametrize("url, problem", [
    ("http://example.com/hooks", "must use https"),
    ("https://10.0.0.8/hooks", "must not be a private, loopback or link-local address"),
    ("https://169.254.169.254/latest", "must not be a private, loopback or link-local address"),
    ("ftp://example.com", "must use https"),
    ("https://user:pw@example.com/", "must be an absolute URL with a host and no credentials"),
])
def test_an_unacceptable_url_is_400(client, url, problem):
    response = register(client, url)
    assert response.status_code == 400
    assert json.loads(response.body)["error"]["fields"] == [{"field": "url", "problem": problem}]


def test_an_https_url_is_accepted(client, dns):
    dns.answer("platform.example.com", ["93.184.215.14"])
    response = register(client, "https://platform.example.com/hooks")
    assert response.status_code == 200
    assert json.loads(response.body)["previous_secrets_valid_until"] is None


@pytest.mark.parametrize("url, accepted", [("https://platform.example.com/hooks", False),
                                           ("https://8.8.8.8/hooks", False),
                                           ("http://127.0.0.1:9000/hooks", True),
                                           ("https://localhost/hooks", True)])
def test_the_local_stage_sends_webhooks_only_to_this_machine(url, accepted):
    from chalicelib.webhooks.endpoints import url_problem

    assert (url_problem(url, allow_loopback_http=True, loopback_only=True) is None) is accepted
