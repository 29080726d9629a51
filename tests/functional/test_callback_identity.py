"""A carrier's result moves only an intercept of that carrier, sent over that route, for that parcel.

One leaked carrier secret (or kuaidi100's account-wide salt) must not let its holder rewrite
other carriers' or other routes' intercepts: a correctly signed push naming someone else's
intercept is answered like an unknown one, changes nothing, and is logged as a security event.
"""
import json
import logging

from chalicelib.carriers import REGISTRY
from chalicelib.domain.models import Carrier, InterceptStatus
from simulator.protocol import InterceptRequest, Outcome
from simulator.server import CARRIERS as SIMULATED
from tests.conftest import START, put_record
from tests.functional.test_store_races import pending_intercept
from tests.simulator.test_every_protocol import CREDENTIALS

NOW_MS = int(START.timestamp() * 1000)


def adapter(code, module):
    return REGISTRY[module](code, {"base_url": "http://unused", **CREDENTIALS[module]}, None)


def push(module, intercept_id, tracking_no, outcome=Outcome.failed_out_for_delivery, event_id="evt-1"):
    return SIMULATED[module](CREDENTIALS[module]).callback(InterceptRequest(intercept_id, tracking_no), outcome,
                                                           event_id, NOW_MS)


def post(client, code, signed):
    return client.http.post(f"/callbacks/{code}", headers=dict(signed.headers), body=signed.body)


def test_a_signed_push_of_another_carrier_cannot_move_an_intercept(client, gw, caplog):
    gw.adapters = {"zto": adapter("zto", "zto"), "yto": adapter("yto", "yto")}
    victim = pending_intercept("icp_zto_victim").model_copy(update={"carrier": Carrier.zto})
    put_record(gw.store, victim)
    with caplog.at_level(logging.WARNING):
        forged = post(client, "yto", push("yto", victim.id, victim.tracking_no))  # YTO's secret, ZTO's intercept
    assert forged.status_code == 404
    unknown = gw.adapters["yto"].callback_ack(False, "unknown order or tracking number")  # as for no intercept
    assert json.loads(forged.body) == json.loads(unknown.body)
    assert gw.store.intercepts.get(victim.id).status == InterceptStatus.pending
    assert any(getattr(line, "security", False) and "zto intercept" in line.problem for line in caplog.records)
    real = post(client, "zto", push("zto", victim.id, victim.tracking_no, Outcome.intercepted))  # ZTO itself
    assert real.status_code == 200
    assert gw.store.intercepts.get(victim.id).status == InterceptStatus.intercepted


def test_the_aggregators_salt_cannot_move_an_intercept_sent_to_the_carrier_itself(client, gw):
    """yto is configured through kuaidi100 now; this intercept went to YTO directly."""
    gw.adapters = {"yto": adapter("yto", "kuaidi100")}
    direct = pending_intercept("icp_yto_direct").model_copy(update={"carrier": Carrier.yto})
    put_record(gw.store, direct)
    forged = post(client, "yto", push("kuaidi100", direct.id, direct.tracking_no))
    assert forged.status_code == 404
    assert gw.store.intercepts.get(direct.id).status == InterceptStatus.pending


def test_a_push_for_another_parcel_changes_nothing(client, gw):
    gw.adapters = {"zto": adapter("zto", "zto")}
    record = pending_intercept("icp_zto_parcel").model_copy(update={"carrier": Carrier.zto})
    put_record(gw.store, record)
    assert post(client, "zto", push("zto", record.id, "ZT9999999999")).status_code == 404
    assert gw.store.intercepts.get(record.id).status == InterceptStatus.pending


def test_polling_asks_only_over_the_route_the_intercept_was_sent(gw, clock, carrier):
    from chalicelib.schedules.poll_overdue import poll_overdue_results

    submitted = pending_intercept("icp_zto_via").model_copy(update={"status": InterceptStatus.submitted,
                                                                      "via": "kuaidi100"})
    put_record(gw.store, submitted)
    clock.advance(minutes=11)
    counts = poll_overdue_results(gw.store.intercepts, {"zto": carrier}, gw.carrier_results, clock,
                                  gw.settings.callback_url, older_than_seconds=600)
    assert counts["skipped"] == 1 and carrier.queried == []
