"""Every protocol fixture under tests/fixtures/carriers/<carrier>/ names its source and parses.

Fixtures hold what a carrier publishes (sample requests, answers, pushes, worked signing
examples); where a part is modelled, the fixture's `source` says so.
"""
import json
from datetime import UTC, datetime
from importlib import import_module
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pytest

from chalicelib.carriers import base, declarations
from chalicelib.carriers.adapter import Call
from chalicelib.carriers.base import InterceptOrder

ROOT = Path(__file__).parents[1] / "fixtures" / "carriers"
FIXTURES = sorted(ROOT.glob("*/*.json"))


def load(path: Path) -> tuple[str, dict]:
    return path.parent.name, json.loads(path.read_text())


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_each_fixture_names_its_source_and_belongs_to_a_declared_carrier(path):
    carrier, fixture = load(path)
    assert carrier in declarations()
    assert isinstance(fixture.get("source"), str) and len(fixture["source"]) > 20
    assert fixture.get("kind") in {"answer", "request", "push", "signing"}


def _protocol(carrier: str):
    return import_module(f"chalicelib.carriers.{carrier}.protocol")


@pytest.mark.parametrize("path", [p for p in FIXTURES if load(p)[1]["kind"] == "answer"],
                         ids=lambda path: f"{path.parent.name}/{path.name}")
def test_answers_parse(path):
    carrier, fixture = load(path)
    parse = getattr(_protocol(carrier), f"parse_{fixture['operation']}_response")
    body = json.dumps(fixture["body"], ensure_ascii=False).encode()
    expect = fixture["expect"]
    if "raises" in expect:
        with pytest.raises(getattr(base, expect["raises"])) as raised:
            parse(fixture["status"], body)
        assert type(raised.value).__name__ == expect["raises"]
        assert "code" not in expect or raised.value.code == expect["code"]
        return
    outcome = parse(fixture["status"], body)
    if "stage" in expect:
        assert outcome.stage.value == expect["stage"]
        assert [scan.model_dump(mode="json") for scan in outcome.scans] == expect.get("scans", [])
        return
    assert outcome.result.value == expect["result"]
    assert outcome.carrier_ref == expect.get("carrier_ref")
    assert "fee" not in expect or outcome.fee == expect["fee"]


@pytest.mark.parametrize("path", [p for p in FIXTURES if load(p)[1]["kind"] == "push"],
                         ids=lambda path: f"{path.parent.name}/{path.name}")
def test_pushes_verify_and_parse(path):
    carrier, fixture = load(path)
    declaration = declarations()[carrier]
    settings = declaration.load_settings()(**fixture["settings"])
    protocol = _protocol(carrier)
    data = json.dumps(fixture["data"], ensure_ascii=False)
    if carrier == "zto":
        body = urlencode({"data": data, "data_digest": protocol.push_sign(data, settings.app_secret),
                          "company_id": settings.company_id, "msg_type": fixture["msg_type"]}).encode()
    else:  # sf: the route push in its signed envelope
        timestamp = str(fixture["now_ms"])
        body = urlencode({"partnerID": settings.partner_id, "requestID": "fixture", "serviceCode": protocol.PUSH_SERVICE,
                          "timestamp": timestamp, "msgData": data,
                          "msgDigest": protocol.sign(data, timestamp, settings.check_word)}).encode()
    now = datetime.fromtimestamp(fixture["now_ms"] / 1000, tz=UTC)
    event = protocol.parse_callback({}, body, now, settings)
    assert (event.result.value, event.intercept_id, event.tracking_no) == (
        fixture["expect"]["result"], fixture["expect"]["intercept_id"], fixture["expect"]["tracking_no"])
    assert [scan.model_dump(mode="json") for scan in event.scans] == fixture["expect"].get("scans", [])


def test_kuaidi100_builds_the_published_request():
    _, fixture = load(ROOT / "kuaidi100" / "intercept_request.json")
    protocol = _protocol("kuaidi100")
    settings = declarations()["kuaidi100"].load_settings()(
        base_url="https://api.kuaidi100.com", key="k", secret="s", customer="c", salt="x",
        account={"partnerId": "P", "partnerKey": "K", "net": "N"})
    order = InterceptOrder("int_1", "ZT1", "refund", "https://gw.example/callbacks/zto")
    _, body, _ = protocol.intercept_request(order, settings, Call(1714550400000, "r", company="zhongtong"))
    form = {name: values[0] for name, values in parse_qs(body.decode()).items()}
    assert list(form) == fixture["form_fields"]
    param = json.loads(form["param"])
    assert set(fixture["required_param_fields"]) <= set(param) <= set(fixture["allowed_param_fields"])


def test_jt_business_digest_worked_example():
    _, fixture = load(ROOT / "jt" / "business_digest.json")
    assert _protocol("jt").business_digest(fixture["customer_code"], fixture["password"],
                                           fixture["private_key"]) == fixture["digest"]


# --- signing: the gateway's function and the simulator's own reading of the document agree ----

def test_yto_signing_examples():
    from chalicelib.carriers.wire import md5_base64
    from simulator.yto import yto_sign

    _, step = load(ROOT / "yto" / "signing_digest_step.json")
    assert md5_base64((step["text"] + step["secret"]).encode()) == step["digest"]
    _, request = load(ROOT / "yto" / "signing_track_request.json")
    inputs = (request["param"], request["method"], request["v"], request["secret"])
    assert _protocol("yto").sign(*inputs) == yto_sign(*inputs) == request["digest"]


def test_sto_signing_example():
    from simulator.sto import data_digest

    _, fixture = load(ROOT / "sto" / "signing_cainiao_link.json")
    assert _protocol("sto").sign(fixture["text"], fixture["secret"]) == data_digest(fixture["text"], fixture["secret"]) \
        == fixture["digest"]


def test_sf_signing_example():
    from simulator.sf import msg_digest

    _, fixture = load(ROOT / "sf" / "signing_document_example.json")
    inputs = (fixture["msg_data"], fixture["timestamp"], fixture["secret"])
    assert _protocol("sf").sign(*inputs) == msg_digest(*inputs) == fixture["digest"]


# --- requests -------------------------------------------------------------------------------

def test_sto_builds_its_published_envelope():
    _, fixture = load(ROOT / "sto" / "request_envelope.json")
    settings = declarations()["sto"].load_settings()(base_url="https://open.sto.cn", app_key="a", secret="s",
                                                       customer_code="c")
    order = InterceptOrder("int_1", "773", "refund", "https://gw.example/callbacks/sto")
    _, body, _ = _protocol("sto").intercept_request(order, settings, Call(1714550400000, "r"))
    assert list(parse_qs(body.decode())) == fixture["form_fields"]


def test_sf_builds_the_published_request_with_nothing_of_ours_in_msg_data():
    _, fixture = load(ROOT / "sf" / "intercept_request.json")
    settings = declarations()["sf"].load_settings()(base_url="https://sfapi.sf-express.com/std/service",
                                                      partner_id="P", check_word="W", pay_mode="3",
                                                      monthly_card_no="7551234567")
    order = InterceptOrder("int_1", "SF1", "refund", "https://gw.example/callbacks/sf")
    _, body, _ = _protocol("sf").intercept_request(order, settings, Call(1714550400000, "r"))
    form = {name: values[0] for name, values in parse_qs(body.decode()).items()}
    assert list(form) == fixture["form_fields"]
    msg_data = json.loads(form["msgData"])
    assert set(fixture["required_msg_data_fields"]) <= set(msg_data) <= set(fixture["allowed_msg_data_fields"])


def test_jumdata_signing_example():
    from simulator.jumdata import jumdata_sign

    _, fixture = load(ROOT / "jumdata" / "signing_document_example.json")
    inputs = (fixture["app_id"], fixture["app_secret"], fixture["timestamp"])
    assert _protocol("jumdata").sign(*inputs) == jumdata_sign(*inputs) == fixture["digest"]
