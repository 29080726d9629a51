"""Metrics and correlated logs come out of the real paths: create, carrier result, dispatch."""
from __future__ import annotations

import io
import json
import logging

import boto3
import pytest

import app as app_module
from chalicelib.carriers.base import CarrierResult
from chalicelib.domain.models import EventSource
from chalicelib.observability import JsonFormatter, Metrics
from local.pump import QueuePump
from tests.conftest import PLATFORM_A, intercept_body, post_intercept


@pytest.fixture
def emitted(monkeypatch):
    stream = io.StringIO()
    recorder = Metrics(stream=stream, clock_ms=lambda: 0)
    monkeypatch.setattr("chalicelib.usecases.intercepts.metrics", recorder)
    monkeypatch.setattr("chalicelib.usecases.carrier_results.metrics", recorder)
    monkeypatch.setattr("chalicelib.dispatch.worker.metrics", recorder)

    def names() -> list[tuple[str, str]]:
        documents = [json.loads(line) for line in stream.getvalue().splitlines()]
        return [(doc["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"], doc["carrier"]) for doc in documents]
    return names


@pytest.fixture
def log_lines():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("chalicelib")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


def test_create_and_carrier_results_emit_per_carrier_metrics(client, gw, emitted):
    created = json.loads(post_intercept(client, intercept_body()).body)
    assert emitted() == [("InterceptsCreated", "zto")]
    gw.carrier_results.apply(created["id"], CarrierResult.intercepted, source=EventSource.carrier)
    assert emitted()[-1] == ("InterceptsSucceeded", "zto")
    other = json.loads(post_intercept(client, intercept_body(tracking_no="ZT1000000008", order_id="o-8"),
                                      idempotency_key="idem-8").body)
    gw.carrier_results.apply(other["id"], CarrierResult.failed, source=EventSource.carrier)
    assert emitted()[-1] == ("InterceptsFailed", "zto")


def test_log_lines_of_a_request_carry_platform_and_intercept_ids(client, gw, log_lines, monkeypatch):
    def refuse(*args, **kwargs):
        raise RuntimeError("sqs down")
    monkeypatch.setattr(gw.queues, "send", refuse)
    created = json.loads(post_intercept(client, intercept_body()).body)
    line = next(line for line in log_lines() if "enqueue failed" in line["message"])
    assert line["platform_id"] == PLATFORM_A.id
    assert line["intercept_id"] == created["id"] and line["carrier"] == "zto"
    assert "request_id" in line


def test_each_carrier_call_reports_its_latency(client, gw, emitted):
    post_intercept(client, intercept_body())
    QueuePump(boto3.client("sqs"), gw.settings.dispatch_queue, app_module.dispatch, wait_seconds=0).run_once()
    assert ("CarrierLatency", "zto") in emitted()
