"""Each carrier's declaration (chalicelib/carriers/<code>/__init__.py) and what is built from it."""
import json
import os
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
from click.testing import CliRunner

from chalicelib.carriers import REGISTRY, build_adapters, carrier_codes, declarations
from chalicelib.carriers.adapter import CarrierProtocol, ProtocolAdapter
from chalicelib.carriers.base import CarrierAccountFault, InterceptOrder
from chalicelib.carriers.declaration import CarrierDeclaration, Sources
from chalicelib.carriers.http import CarrierHttp
from chalicelib.domain.models import Carrier
from chalicelib.domain.returns import ReturnTo
from gatewayctl.carriers import markdown_tables
from gatewayctl.cli import cli
from local.stack import _new_credentials

ROOT = Path(__file__).resolve().parents[2]
DECLARED = list(declarations().values())
#: the declarations with a protocol of their own (the others are reached only through an aggregator)
SPEAKING = [declaration for declaration in DECLARED if not declaration.via_only]
OPERATIONS = [name for name in vars(CarrierProtocol) if not name.startswith("_")]


def test_reading_the_declarations_loads_no_protocol_no_http_and_no_pydantic():
    code = ("import json, sys\nfrom chalicelib.carriers import declarations\ndeclarations()\n"
            "print(json.dumps(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          check=True, capture_output=True, text=True)
    loaded = set(json.loads(done.stdout))
    carrier_modules = {name for name in loaded if name.startswith("chalicelib.carriers.")}
    assert carrier_modules == {"chalicelib.carriers.declaration"} | {f"chalicelib.carriers.{d.code}" for d in DECLARED}
    assert not {name for name in loaded if name.split(".")[0] in ("requests", "pydantic", "urllib3")}


def test_the_carrier_enum_is_the_declared_carriers_in_rank_order():
    assert [member.value for member in Carrier] == carrier_codes() == ["zto", "yto", "sto", "jt", "sf", "jd",
                                                                                 "yunda", "ems", "debang"]
    assert [member.name for member in Carrier] == carrier_codes()
    assert Carrier.zto == "zto" and Carrier("sf") is Carrier.sf and isinstance(Carrier.jt, str)


@pytest.mark.parametrize("declaration", SPEAKING, ids=lambda declaration: declaration.code)
def test_a_declaration_names_things_that_exist_in_its_own_package(declaration):
    assert declaration.protocol == f"chalicelib.carriers.{declaration.code}.protocol"
    assert declaration.settings.partition(":")[0] == f"chalicelib.carriers.{declaration.code}.settings"
    assert set(declaration.dev_credentials) <= {part.name for part in fields(declaration.load_settings())}
    protocol = declaration.load_protocol()
    optional = {"cancel_request": declaration.can_withdraw, "parse_cancel_response": declaration.can_withdraw,
                "query_request": declaration.can_poll, "parse_query_response": declaration.can_poll}
    assert [name for name in OPERATIONS if optional.get(name, True) != callable(getattr(protocol, name, None))] == []
    simulated = declaration.load_simulator()
    assert (declaration.simulator.partition(":")[0], simulated.code) == (f"simulator.{declaration.code}",
                                                                         declaration.code)
    for recipe in declaration.signing:
        assert callable(getattr(protocol, recipe.function))
        assert recipe.hashed_text is None or callable(getattr(protocol, recipe.hashed_text.function))
        assert all(hasattr(protocol, given.default_from) for given in recipe.inputs if given.default_from)
    assert (ROOT / "tests" / "carriers" / f"test_{declaration.code}.py").exists()


@pytest.mark.parametrize("declaration", SPEAKING, ids=lambda declaration: declaration.code)
def test_dev_credentials_and_a_base_url_are_a_whole_configuration(declaration):
    config = {"base_url": "http://simulator/", **declaration.new_dev_credentials()}
    for code in declaration.reaches or [declaration.code]:
        adapter = REGISTRY[declaration.code](code, config, None)
        assert (adapter.code, adapter.can_redirect, adapter.can_return_to_outlet) == \
            (code, declaration.can_redirect, declaration.can_return_to_outlet)


@pytest.mark.parametrize("declaration", [d for d in SPEAKING if not d.can_return_to_outlet],
                         ids=lambda declaration: declaration.code)
def test_a_route_that_cannot_return_to_the_outlet_refuses_such_an_order_without_a_call(declaration):
    config = {"base_url": "http://simulator/", **declaration.new_dev_credentials()}
    adapter = REGISTRY[declaration.code](declaration.code, config, None)  # no HTTP: a call would fail otherwise
    order = InterceptOrder("icp_1", "TN1234567890", "refund", "http://gw/callbacks", return_to=ReturnTo.outlet)
    with pytest.raises(CarrierAccountFault) as refused:
        adapter.submit_intercept(order)
    assert refused.value.code == "return_to_outlet_not_supported"


#: What the local stack generates for each carrier (hex of N bytes); fields added since are added to
#: an older credentials file (local/stack.py::dev_credentials).
TODAYS_DEV_CREDENTIALS = {
    "zto": {"app_key": r"dev-zto-[0-9a-f]{8}", "app_secret": r"[0-9a-f]{32}", "company_id": r"dev-company-[0-9a-f]{8}"},
    "yto": {"app_key": r"dev-yto-[0-9a-f]{8}", "secret": r"[0-9a-f]{32}"},
    "sto": {"app_key": r"dev-sto-[0-9a-f]{8}", "secret": r"[0-9a-f]{32}", "customer_code": r"dev-sto-cust-[0-9a-f]{8}"},
    "jt": {"api_account": r"dev-jt-[0-9a-f]{8}", "private_key": r"[0-9a-f]{32}",
           "customer_code": r"dev-jt-cust-[0-9a-f]{8}", "password": r"[0-9a-f]{16}"},
    "sf": {"partner_id": r"dev-sf-[0-9a-f]{8}", "check_word": r"[0-9a-f]{32}", "monthly_card_no": r"[0-9a-f]{10}"},
    "kuaidi100": {"key": r"dev-k100-[0-9a-f]{8}", "secret": r"[0-9a-f]{32}", "customer": r"[0-9A-F]{16}",
                  "salt": r"[0-9a-f]{16}"},
    "jd": {"app_key": r"[0-9A-F]{16}", "app_secret": r"[0-9a-f]{32}", "access_token": r"[0-9a-f]{32}",
           "customer_code": r"dev-jd-[0-9a-f]{8}"},
    "jumdata": {"app_id": r"dev-jum-[0-9a-f]{16}", "app_secret": r"[0-9a-f]{32}"},
}


def test_the_local_stack_generates_the_dev_credentials_it_always_did():
    generated = _new_credentials()
    assert list(generated) == list(TODAYS_DEV_CREDENTIALS)
    for code, patterns in TODAYS_DEV_CREDENTIALS.items():
        assert list(generated[code]) == list(patterns)
        assert {name: bool(re.fullmatch(pattern, generated[code][name])) for name, pattern in patterns.items()} == {
            name: True for name in patterns}
    assert _new_credentials()["zto"]["app_secret"] != generated["zto"]["app_secret"]


def test_build_adapters_routes_via_an_aggregator_and_skips_accounts_and_unknown_codes():
    account = {"base_url": "http://k100", "key": "k", "secret": "s", "customer": "c", "salt": "x"}
    config = {"zto": {"base_url": "http://zto", "app_key": "k", "app_secret": "s", "company_id": "c"},
              "yto": {"via": "kuaidi100"}, "kuaidi100": account, "ups": {"base_url": "http://ups"},
              "sto": {"via": "nobody"}}
    adapters = build_adapters(config, CarrierHttp())
    assert {code: adapter.declaration.code for code, adapter in adapters.items()} == {"zto": "zto",
                                                                                      "yto": "kuaidi100"}


def test_a_carrier_is_no_route_to_another():
    with pytest.raises(ValueError, match="yto"):
        ProtocolAdapter(declarations()["zto"], None, None, code="yto")


def _declaration(**overrides) -> CarrierDeclaration:
    values = {field.name: getattr(declarations()["zto"], field.name) for field in fields(CarrierDeclaration)}
    return CarrierDeclaration(**{**values, **overrides})


@pytest.mark.parametrize("overrides,match", [
    ({"kind": "aggregator"}, "aggregator"),
    ({"reaches": {"yto": "yuantong"}}, "reaches only itself"),
    ({"list_price": None}, "list price"),
    ({"results_by": ()}, "callback or poll"),
    ({"results_by": ("poll",), "can_poll": False}, "status query"),
    ({"sources": Sources(*["modelled"] * 5, "published: ")}, "signing"),
    ({"can_withdraw": False}, "cancel is 'none published'"),
    ({"sources": Sources("modelled", "modelled", "none published", "modelled", "modelled", "modelled")},
     "query is 'none published'"),
])
def test_an_inconsistent_declaration_is_refused_when_it_is_made(overrides, match):
    with pytest.raises(ValueError, match=match):
        _declaration(**overrides)


def test_gatewayctl_carriers_prints_the_tables_and_every_field_as_json():
    assert CliRunner().invoke(cli, ["carriers"]).output == markdown_tables(DECLARED)
    described = json.loads(CliRunner().invoke(cli, ["carriers", "--json"]).output)
    assert [entry["code"] for entry in described] == list(declarations())
    kuaidi100 = next(entry for entry in described if entry["code"] == "kuaidi100")
    assert kuaidi100["reaches"] == {"zto": "zhongtong", "yto": "yuantong", "jt": "jtexpress", "sto": "shentong",
                                    "sf": "shunfeng"}
    assert (kuaidi100["can_withdraw"], kuaidi100["can_poll"], kuaidi100["can_return_to_outlet"]) == (False, False, True)
    assert kuaidi100["settings"] == {"class": "chalicelib.carriers.kuaidi100.settings:Kuaidi100Settings",
                                     "fields": ["base_url", "key", "secret", "customer", "salt", "poll_url",
                                                "order_role", "pay_type", "account"]}
    assert set(described[0]) == {field.name for field in fields(CarrierDeclaration)} | {"routes"}
    routes = {entry["code"]: entry["routes"] for entry in described}
    assert (routes["zto"], routes["yunda"], routes["kuaidi100"]) == (["zto", "kuaidi100", "jumdata"], ["jumdata"], [])
    assert described[0]["names"] == {"zh": "中通", "en": "ZTO Express"}
    assert described[0]["dev_credentials"]["app_key"] == {"size": 4, "prefix": "dev-zto-", "upper": False}


DOCS_BEGIN = "<!-- declarations: begin -->\n"
DOCS_END = "<!-- declarations: end -->\n"


def test_the_table_in_docs_carriers_md_is_what_the_declarations_say():
    docs = (ROOT / "docs" / "carriers.md").read_text()
    assert DOCS_BEGIN in docs and DOCS_END in docs, "docs/carriers.md has lost its declarations markers"
    table = docs.split(DOCS_BEGIN, 1)[1].split(DOCS_END, 1)[0]
    assert table == markdown_tables(DECLARED), "paste the output of `gatewayctl carriers` into docs/carriers.md"


@pytest.mark.parametrize("declaration", [d for d in DECLARED if d.via_only], ids=lambda declaration: declaration.code)
def test_a_carrier_with_no_api_of_its_own_is_reached_by_an_aggregator(declaration):
    assert any(declaration.code in other.reaches for other in DECLARED if other.kind == "aggregator")
