"""Shared fixtures: AWS faked with moto, a gateway on a fixed clock, two platform tenants."""
from __future__ import annotations

import json
import os
import socket
from datetime import datetime, timedelta, timezone
from typing import Iterator
from weakref import WeakKeyDictionary

import pytest

os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1", "STAGE": "test",
})
os.environ.pop("AWS_ENDPOINT_URL", None)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from chalicelib import runtime  # noqa: E402
from chalicelib.carriers.base import (  # noqa: E402
    CancelOutcome,
    CarrierResult,
    InterceptOrder,
    SubmitOutcome,
    Tracking,
)
from chalicelib.clock import FixedClock  # noqa: E402
from chalicelib.config import Settings  # noqa: E402
from chalicelib.domain.models import Carrier, Platform, PolicyName  # noqa: E402
from chalicelib.domain.stages import ParcelStage, TrackingScan  # noqa: E402
from local import moto_transactions  # noqa: E402
from local.resources import create_resources, demo_merchant, seed_platform  # noqa: E402
from local.stream_pump import StreamPump, in_process_streams_client  # noqa: E402

START = datetime(2026, 11, 23, 8, 0, 0, tzinfo=timezone.utc)
KEY_A, KEY_B = "key-platform-a", "key-platform-b"
PLATFORM_A = Platform(id="plat-a", name="Platform A", policy=PolicyName.kuaishou)
PLATFORM_B = Platform(id="plat-b", name="Platform B", policy=PolicyName.kuaishou)
MERCHANT = "demo-merchant"


class ScriptedCarrier:
    """A carrier adapter whose answers a test scripts; records every submission."""

    def __init__(self, code: str = "zto", can_redirect: bool = False, can_withdraw: bool = True,
                 can_poll: bool = True, route: str | None = None, can_return_to_outlet: bool = False) -> None:
        self.code = code
        self.route = route or code
        self.can_redirect = can_redirect
        self.can_return_to_outlet = can_return_to_outlet
        self.can_withdraw = can_withdraw
        self.can_poll = can_poll
        self.stage = ParcelStage.in_transit
        #: the scans its tracking query answers, by tracking number
        self.scans: dict[str, list[TrackingScan]] = {}
        self.tracked: list[str] = []
        self.script: list[SubmitOutcome | Exception] = []
        self.submitted: list[InterceptOrder] = []
        self.cancel_script: list[CancelOutcome | Exception] = []
        self.cancelled: list[InterceptOrder] = []
        self.query_script: list[SubmitOutcome | Exception] = []
        self.queried: list[InterceptOrder] = []

    def submit_intercept(self, order: InterceptOrder) -> SubmitOutcome:
        self.submitted.append(order)
        if self.script:
            answer = self.script.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer
        return SubmitOutcome(result=CarrierResult.accepted, carrier_ref=f"ref-{order.tracking_no}")

    def cancel_intercept(self, order: InterceptOrder) -> CancelOutcome:
        self.cancelled.append(order)
        return _next(self.cancel_script, CancelOutcome(cancelled=True))

    def query_intercept(self, order: InterceptOrder) -> SubmitOutcome:
        self.queried.append(order)
        return _next(self.query_script, SubmitOutcome(result=CarrierResult.accepted))

    def query_stage(self, tracking_no: str) -> ParcelStage:
        """The stage `query_tracking` answers (a test may replace it)."""
        return self.stage

    def query_tracking(self, tracking_no: str) -> Tracking:
        self.tracked.append(tracking_no)
        return Tracking(self.query_stage(tracking_no), tuple(self.scans.get(tracking_no, ())))

    def parse_callback(self, headers, body, now):  # pragma: no cover - not used by these tests
        raise NotImplementedError

    def callback_ack(self, accepted, message=""):  # pragma: no cover
        raise NotImplementedError


def _next(script: list, default):
    if not script:
        return default
    answer = script.pop(0)
    if isinstance(answer, Exception):
        raise answer
    return answer


class FakeDns:
    """Name lookups answered from a table, so no test resolves a name over the network. IP literals
    and localhost resolve as usual, without a query; any other name does not resolve."""

    def __init__(self, system_getaddrinfo) -> None:
        self._system_getaddrinfo = system_getaddrinfo
        self._answers: dict[str, list[list[str]]] = {}

    def answer(self, name: str, *answers: list[str]) -> None:
        """Successive lookups of `name` get successive answers; the last one keeps being given."""
        self._answers[name] = list(answers)

    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):
        if host in self._answers:
            answers = self._answers[host]
            addresses = answers.pop(0) if len(answers) > 1 else answers[0]
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port or 0, 0, 0)) if ":" in address
                    else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0)) for address in addresses]
        if host != "localhost":
            flags |= socket.AI_NUMERICHOST
        return self._system_getaddrinfo(host, port, family, type, proto, flags)


@pytest.fixture
def dns(monkeypatch) -> FakeDns:
    fake = FakeDns(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", fake.getaddrinfo)
    return fake


@pytest.fixture
def settings() -> Settings:
    return Settings(stage="test", table_name="gateway-test", dispatch_queue="intercept-dispatch",
                    notify_queue="intercept-notify", export_bucket="gateway-test-exports",
                    public_base_url="http://gateway.test", carriers={}, dispatch_max_attempts=3,
                    dispatch_base_backoff_seconds=1, dispatch_max_backoff_seconds=2,
                    export_slice_seconds=12 * 3600)  # a day's export in 32 shards x 2 slices: 64 parts


moto_transactions.install_stream_copies()


@pytest.fixture
def aws(settings: Settings) -> Iterator[None]:
    with mock_aws():
        create_resources(boto3.client("dynamodb"), boto3.client("sqs"), boto3.client("s3"), settings)
        yield


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def carrier() -> ScriptedCarrier:
    return ScriptedCarrier()


@pytest.fixture
def gw(aws, settings: Settings, clock: FixedClock, carrier: ScriptedCarrier) -> Iterator[runtime.Gateway]:
    gateway = runtime.Gateway(settings, clock, adapters={"zto": carrier})
    for platform, key in ((PLATFORM_A, KEY_A), (PLATFORM_B, KEY_B)):
        seed_platform(gateway.store, platform, key, demo_merchant("2026-01-01T00:00:00.000Z"))
    runtime.use(gateway)
    yield gateway
    runtime.use(None)


def give_account(gw: runtime.Gateway, carrier: str = "zto", fields: dict | None = None,
                 platform: Platform = PLATFORM_A) -> None:
    """The demo merchant's own account for `carrier` (by default a kuaidi100 partnerId: the field a
    route through kuaidi100 requires when the platform level holds none)."""
    from chalicelib.domain.models import CarrierAccount

    current = gw.store.merchants.get(platform.id, MERCHANT)
    accounts = {**current.carrier_accounts, Carrier(carrier): CarrierAccount(fields=fields or {"partnerId": "P-test"})}
    gw.store.merchants.save(platform.id, current.model_copy(update={"carrier_accounts": accounts,
                                                                    "version": current.version + 1}),
                            expected_version=current.version)


@pytest.fixture
def client(gw):
    from chalice.test import Client

    from app import app

    with Client(app) as test_client:
        yield test_client


_stream_pumps: WeakKeyDictionary = WeakKeyDictionary()


def relay(gateway: runtime.Gateway, handler: str = "relay_changes") -> int:
    """Hand every change on the table's stream so far to an app's stream handler (the webhook relay,
    unless named), as the stream's event source mapping would; returns how many records it handed."""
    import app as app_module

    pumps = _stream_pumps.setdefault(gateway, {})
    pump = pumps.get(handler)
    if pump is None:
        pump = pumps[handler] = StreamPump(
            boto3.client("dynamodb"), in_process_streams_client(), gateway.settings.table_name,
            getattr(app_module, handler))
    relayed = 0
    while count := pump.run_once():
        relayed += count
    return relayed


def run_export_parts(gateway: runtime.Gateway, batches: int | None = None) -> int:
    """Hand the fee export parts queue's visible messages to the parts worker, as its Lambda event
    source would (10 a batch here, for speed), until none is left or after `batches`; returns how
    many messages it handed."""
    import app as app_module
    from local.pump import QueuePump

    pump = QueuePump(boto3.client("sqs"), gateway.settings.export_parts_queue, app_module.export_fee_parts,
                     wait_seconds=0)
    handed = done = 0
    while (batches is None or done < batches) and (count := pump.run_once()):
        handed += count
        done += 1
    return handed


def end_visibility_timeouts(queue: str) -> None:
    """Every message of `queue` a receive left hidden (its handler failed it), visible now: as
    when its visibility timeout ends (moto counts it on the wall clock)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    for message in list(sqs_backends[DEFAULT_ACCOUNT_ID][boto3.client("sqs").meta.region_name].get_queue(queue)._messages):
        if not message.visible:
            message.visible_at = 0.0


def count_metrics(gateway: runtime.Gateway) -> int:
    """Hand every change on the stream so far to the merchant metrics counter."""
    return relay(gateway, "count_merchant_metrics")


class DelaysOnClock:
    """Stands in for `Queues.send_all`: a message sent with a delay is held until
    `release_due_messages` finds the gateway's clock past its delay (moto counts delays on the wall
    clock, the tests' gateway runs on a fixed one)."""

    def __init__(self, gateway: runtime.Gateway) -> None:
        self._gateway = gateway
        self._send_all = gateway.queues.send_all
        self.held: list[tuple[datetime, str, list]] = []

    def __call__(self, queue: str, messages, delay_seconds: int = 0) -> None:
        if delay_seconds:
            self.held.append((self._gateway.clock.now() + timedelta(seconds=delay_seconds), queue, list(messages)))
        else:
            self._send_all(queue, messages)

    def release_due(self) -> None:
        for entry in [entry for entry in self.held if entry[0] <= self._gateway.clock.now()]:
            self.held.remove(entry)
            self._send_all(entry[1], entry[2])


@pytest.fixture
def delays_on_clock(gw, monkeypatch) -> DelaysOnClock:
    """SQS message delays counted on the test's fixed clock (DelaysOnClock)."""
    delays = DelaysOnClock(gw)
    monkeypatch.setattr(gw.queues, "send_all", delays)
    return delays


def release_due_messages(gateway: runtime.Gateway) -> None:
    """Send the held messages now due, under `delays_on_clock`."""
    delays = gateway.queues.send_all
    if hasattr(delays, "release_due"):  # (the class may come from another import of this module)
        delays.release_due()


def deliver_webhooks(gateway: runtime.Gateway) -> int:
    """Relay the committed changes, then hand every visible notify message to the delivery worker,
    as the stream's and the queue's Lambda functions would (delayed ones once due, under
    `delays_on_clock`); returns how many messages it handled."""
    from chalicelib.queues import QueueMessage

    relay(gateway)
    release_due_messages(gateway)
    sqs = gateway.queues._sqs
    url = gateway.queues.url(gateway.settings.notify_queue)
    handled = 0
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        result = gateway.webhook_delivery.handle_batch(
            [QueueMessage(message["MessageId"], message["ReceiptHandle"], message["Body"]) for message in messages])
        failed = {item["itemIdentifier"] for item in result["batchItemFailures"]}
        for message in messages:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        handled += len(messages)
    return handled


def intercept_body(**overrides) -> dict:
    body = {
        "merchant_id": MERCHANT, "order_id": "order-1", "after_sale_id": "as-1", "carrier": "zto",
        "tracking_no": "ZT1000000003", "refund_amount": 4999, "package_count": 1, "goods_type": "general",
        "cross_border": False, "reason": "buyer asked for a refund",
    }
    body.update(overrides)
    return body


def post_intercept(client, body: dict | str, key: str = KEY_A, idempotency_key: str | None = "idem-1"):
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    payload = body if isinstance(body, str) else json.dumps(body)
    return client.http.post("/v1/intercepts", headers=headers, body=payload)


def auth(key: str = KEY_A) -> dict:
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


def stored_item(record) -> dict:
    """`record` as a DynamoDB item, with the index entries its state calls for (a fixture, not a change)."""
    from chalicelib.domain.lifecycle import as_stored
    from chalicelib.store.codec import to_item
    from chalicelib.store.intercepts import record_values

    return to_item(record_values(as_stored(record)))


def put_record(store, record) -> None:
    """Write `record` as it is (see `stored_item`)."""
    store.table.client.put_item(TableName=store.table.name, Item=stored_item(record))


def transition(gw, record, **change):
    """Commit a lifecycle transition of `record` the way the gateway does (history, webhooks)."""
    from chalicelib.domain import lifecycle

    now = change.pop("now", None) or gw.clock.now()
    return gw.changes.commit(lifecycle.transition(record, now=now, **change))


@pytest.fixture(autouse=True)
def fresh_log_correlation():
    """Each test starts with no log correlation ids bound (code called outside a request or a
    batch, as tests do, binds them for the rest of the context)."""
    from chalicelib import observability

    token = observability._context.set({})
    yield
    observability._context.reset(token)
