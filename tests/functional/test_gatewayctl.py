"""gatewayctl against moto: keys shown once and usable, rotation, reads, DLQ redrive, sweeps, stats."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import boto3
import pytest
from click.testing import CliRunner

from chalicelib.api.auth import hash_key
from chalicelib.config import dead_letter_queue
from chalicelib.domain.models import EventSource, InterceptStatus
from gatewayctl.cli import cli
from gatewayctl.target import Target
from tests.conftest import PLATFORM_A, intercept_body, post_intercept, transition


@pytest.fixture
def run(gw):
    target = Target(session=boto3.Session(region_name="us-east-1"), table_name=gw.settings.table_name)

    def invoke(*args: str):
        result = CliRunner().invoke(cli, list(args), obj=target, catch_exceptions=False)
        return result
    return invoke


def _key(output: str) -> str:
    return re.search(r"API key \(shown once, store it now\): (\S+)", output).group(1)


def test_create_platform_prints_a_working_key_once_and_refuses_a_duplicate(run, gw):
    result = run("platforms", "create", "plat-new", "--name", "New", "--policy", "pinduoduo")
    assert result.exit_code == 0, result.output
    key = _key(result.output)
    platform = gw.store.platforms.for_key(hash_key(key))
    assert platform.id == "plat-new" and platform.policy.value == "pinduoduo"
    again = run("platforms", "create", "plat-new", "--name", "New", "--policy", "pinduoduo")
    assert again.exit_code != 0 and "already exists" in again.output


def test_rotate_keeps_the_old_key_until_revoked(run, gw):
    old = _key(run("platforms", "create", "plat-r", "--name", "R", "--policy", "kuaishou").output)
    new = _key(run("platforms", "rotate-key", "plat-r").output)
    assert gw.store.platforms.for_key(hash_key(old)) and gw.store.platforms.for_key(hash_key(new))
    revoked = run("platforms", "revoke-key", "plat-r", hash_key(old)[:12])
    assert revoked.exit_code == 0, revoked.output
    assert gw.store.platforms.for_key(hash_key(old)) is None
    assert gw.store.platforms.for_key(hash_key(new)) is not None
    assert run("platforms", "keys", "plat-r").output.split() == [hash_key(new)[:12]]


def test_a_revoked_key_stops_working_within_the_cache_time(run, gw, client, clock):
    from chalicelib.api.auth import API_KEY_CACHE_SECONDS

    old = _key(run("platforms", "create", "plat-c", "--name", "C", "--policy", "kuaishou").output)
    run("platforms", "rotate-key", "plat-c", "--revoke-old")

    def status(key):
        return client.http.get("/v1/intercepts", headers={"Authorization": f"Bearer {key}"}).status_code

    assert status(old) == 401                  # never read while valid: refused at once
    new = _key(run("platforms", "rotate-key", "plat-c").output)
    assert status(new) == 200
    run("platforms", "revoke-key", "plat-c", hash_key(new)[:12])
    assert status(new) == 200                  # this container still trusts what it read
    clock.advance(seconds=API_KEY_CACHE_SECONDS + 1)
    assert status(new) == 401


def test_rotate_with_revoke_old_leaves_only_the_new_key(run, gw):
    old = _key(run("platforms", "create", "plat-x", "--name", "X", "--policy", "kuaishou").output)
    new = _key(run("platforms", "rotate-key", "plat-x", "--revoke-old").output)
    assert gw.store.platforms.for_key(hash_key(old)) is None
    assert gw.store.platforms.for_key(hash_key(new)).id == "plat-x"


def test_list_and_show_intercepts(run, client):
    created = json.loads(post_intercept(client, intercept_body()).body)
    listed = run("intercepts", "list", "--platform", PLATFORM_A.id)
    assert created["id"] in listed.output and "pending" in listed.output
    shown = json.loads(run("intercepts", "show", created["id"]).output)
    assert shown["id"] == created["id"] and shown["events"][0]["to_status"] == "pending"
    assert run("intercepts", "show", "icp_missing").exit_code != 0


def test_redrive_reopens_needs_attention_intercepts_and_drops_finished_ones(run, gw, client, clock):
    stuck = json.loads(post_intercept(client, intercept_body()).body)["id"]
    done = json.loads(post_intercept(client, intercept_body(tracking_no="ZT1000000004", order_id="o-2"),
                                     idempotency_key="idem-2").body)["id"]
    record = gw.store.intercepts.get(stuck)
    transition(gw, record, to_status=InterceptStatus.needs_attention, source=EventSource.worker, reason="carrier down",
                        now=clock.now(), changes={"dispatch_attempts": 3, "last_error": "timeout"})
    finished = gw.store.intercepts.get(done)
    transition(gw, finished, to_status=InterceptStatus.cancelled, source=EventSource.api, reason="x", now=clock.now())
    dlq = dead_letter_queue(gw.settings.dispatch_queue)
    for intercept_id in (stuck, done):
        gw.queues.send(dlq, {"intercept_id": intercept_id, "action": "intercept", "attempts": 3})
    gw.queues.send(dlq, {"garbage": True})
    sqs = boto3.client("sqs")
    sqs.purge_queue(QueueUrl=gw.queues.url(gw.settings.dispatch_queue))

    result = run("queues", "redrive")
    assert result.exit_code == 0, result.output
    assert "redriven 1, dropped 1 (already finished), left 1 in intercept-dispatch-dlq" in result.output
    reopened = gw.store.intercepts.get(stuck)
    assert reopened.status == InterceptStatus.pending and reopened.dispatch_attempts == 0
    messages = sqs.receive_message(QueueUrl=gw.queues.url(gw.settings.dispatch_queue),
                                   MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(message["Body"]) for message in messages] == [
        {"intercept_id": stuck, "action": "intercept", "carrier": "zto"}]


def test_operator_key_is_shown_once_opens_the_operator_routes_only_and_can_be_revoked(run, gw, client, clock):
    from chalicelib.api.auth import API_KEY_CACHE_SECONDS

    created = run("operators", "create-key", "on-call")
    assert created.exit_code == 0, created.output
    key = re.search(r"\(shown once, store it now\): (\S+)", created.output).group(1)
    assert key.startswith("pigop_") and gw.store.operators.for_key(hash_key(key)).name == "on-call"
    assert key not in run("operators", "keys").output
    assert run("operators", "keys").output.split() == [hash_key(key)[:12], "on-call"]

    def status(path):
        return client.http.get(path, headers={"Authorization": f"Bearer {key}"}).status_code

    assert (status("/v1/operations/queues"), status("/v1/intercepts")) == (200, 401)
    assert run("operators", "revoke-key", hash_key(key)[:12]).exit_code == 0
    clock.advance(seconds=API_KEY_CACHE_SECONDS + 1)
    assert status("/v1/operations/queues") == 401
    assert run("operators", "revoke-key", hash_key(key)[:12]).exit_code != 0


def test_sweeps_run_now_requeues_an_unsent_dispatch(run, gw, client, clock, monkeypatch):
    created = json.loads(post_intercept(client, intercept_body()).body)["id"]
    sqs = boto3.client("sqs")
    sqs.purge_queue(QueueUrl=gw.queues.url(gw.settings.dispatch_queue))
    monkeypatch.setattr("gatewayctl.sweeps.SystemClock", lambda: type(clock)(clock.now() + timedelta(hours=1)))
    result = run("sweeps", "run-now")
    assert result.exit_code == 0, result.output
    assert "requeue_unsent_dispatches: done, result 1" in result.output
    body = sqs.receive_message(QueueUrl=gw.queues.url(gw.settings.dispatch_queue))["Messages"][0]["Body"]
    assert json.loads(body)["intercept_id"] == created


def test_stats_counts_open_intercepts_and_queue_depths(run, client):
    post_intercept(client, intercept_body())
    output = run("stats").output
    assert re.search(r"open pending\s+1", output)
    assert re.search(r"queue intercept-dispatch\s+waiting\s+1", output)


def test_platform_ids_that_could_reach_into_other_keys_are_refused(run):
    for unsafe in ("a#b", "A", "a/b", "a_b", "x" * 65, "a b", "a%23b"):
        result = run("platforms", "create", unsafe, "--name", "n", "--policy", "default")
        assert result.exit_code != 0 and "not allowed" in result.output, unsafe
