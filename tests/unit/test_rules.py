"""Every rule on every platform policy, as one table: each row changes one thing in an order that
passes everywhere and states, per platform, exactly which reasons come back."""
from __future__ import annotations

import pytest

from chalicelib.domain.models import AfterSaleType, Carrier, GoodsType, PolicyName
from chalicelib.domain.requests import CreateInterceptRequest
from chalicelib.domain.stages import ParcelStage
from chalicelib.rules import assess
from chalicelib.rules.policies import POLICIES, policy_for
from local.resources import demo_merchant

K, P, D, X = PolicyName.kuaishou, PolicyName.pinduoduo, PolicyName.douyin, PolicyName.default
PLATFORMS = (K, P, D, X)
#: The Pinduoduo merchant's range; other policies ignore it.
RANGE_MIN, RANGE_MAX = 1_000, 60_000


def request(**changes) -> CreateInterceptRequest:
    body = {"merchant_id": "demo-merchant", "order_id": "o-1", "after_sale_id": "as-1", "carrier": Carrier.zto,
            "tracking_no": "ZT1000000003", "refund_amount": 4_999, **changes}
    return CreateInterceptRequest.model_validate(body)


def merchant(**changes):
    return demo_merchant("2026-01-01T00:00:00.000Z").model_copy(
        update={"amount_min": RANGE_MIN, "amount_max": RANGE_MAX, **changes})


def everywhere(*codes: str) -> dict:
    return {platform: list(codes) for platform in PLATFORMS}


def only(platforms: tuple, *codes: str) -> dict:
    return {platform: list(codes) if platform in platforms else [] for platform in PLATFORMS}


# (case, request changes, merchant changes or None for "no settings", stage, expected reasons per platform)
TABLE = [
    ("valid order", {}, {}, ParcelStage.in_transit, everywhere()),
    ("merchant without settings", {}, None, ParcelStage.in_transit, everywhere("merchant_not_configured")),
    ("interception switched off", {}, {"interception_enabled": False}, ParcelStage.in_transit,
     everywhere("interception_disabled")),
    ("shop suspended", {}, {"shop_status": "suspended"}, ParcelStage.in_transit, everywhere("shop_not_operating")),
    ("shop closed", {}, {"shop_status": "closed"}, ParcelStage.in_transit, everywhere("shop_not_operating")),
    ("agreement not signed", {}, {"agreement_signed_at": None}, ParcelStage.in_transit,
     only((K,), "agreement_not_signed")),
    ("carrier SF", {"carrier": Carrier.sf}, {}, ParcelStage.in_transit, only((K,), "carrier_not_supported")),
    ("carrier YTO", {"carrier": Carrier.yto}, {}, ParcelStage.in_transit, everywhere()),
    ("carrier STO", {"carrier": Carrier.sto}, {}, ParcelStage.in_transit, everywhere()),
    ("carrier J&T", {"carrier": Carrier.jt}, {}, ParcelStage.in_transit, everywhere()),
    ("carrier not chosen by the merchant", {}, {"enabled_carriers": [Carrier.yto]}, ParcelStage.in_transit,
     everywhere("carrier_not_enabled_by_merchant")),
    ("no e-waybill for the carrier", {}, {"ewaybill_carriers": [Carrier.yto]}, ParcelStage.in_transit,
     only((K,), "ewaybill_not_enabled")),
    ("no outlet subscribed for the carrier", {}, {"outlets": {}}, ParcelStage.in_transit,
     only((K,), "outlet_not_subscribed")),
    ("refund 49999 fen", {"refund_amount": 49_999}, {}, ParcelStage.in_transit, everywhere()),
    ("refund 50000 fen", {"refund_amount": 50_000}, {}, ParcelStage.in_transit, only((K,), "amount_over_cap")),
    ("refund one fen under the merchant minimum", {"refund_amount": RANGE_MIN - 1}, {}, ParcelStage.in_transit,
     only((P,), "amount_outside_merchant_range")),
    ("refund at the merchant minimum", {"refund_amount": RANGE_MIN}, {}, ParcelStage.in_transit, everywhere()),
    ("refund at the merchant maximum", {"refund_amount": RANGE_MAX}, {}, ParcelStage.in_transit,
     only((K,), "amount_over_cap")),
    ("refund one fen over the merchant maximum", {"refund_amount": RANGE_MAX + 1}, {}, ParcelStage.in_transit,
     {K: ["amount_over_cap"], P: ["amount_outside_merchant_range"], D: [], X: []}),
    ("merchant range not set", {"refund_amount": 40_000_000}, {"amount_min": None, "amount_max": None},
     ParcelStage.in_transit, only((K,), "amount_over_cap")),
    ("two packages", {"package_count": 2}, {}, ParcelStage.in_transit, only((K, P, X), "multi_package")),
    ("fresh goods", {"goods_type": GoodsType.fresh}, {}, ParcelStage.in_transit, only((K,), "goods_type_excluded")),
    ("virtual goods", {"goods_type": GoodsType.virtual}, {}, ParcelStage.in_transit,
     everywhere("goods_type_excluded")),
    ("full-truckload goods", {"goods_type": GoodsType.full_truckload}, {}, ParcelStage.in_transit,
     only((K,), "goods_type_excluded")),
    ("cross-border order", {"cross_border": True}, {}, ParcelStage.in_transit, only((K, D, X), "cross_border")),
    ("cross-border merchant", {}, {"cross_border": True}, ParcelStage.in_transit, only((K, D, X), "cross_border")),
    ("return and refund", {"after_sale_type": AfterSaleType.return_and_refund}, {}, ParcelStage.in_transit,
     only((K, D, X), "after_sale_type_not_refund_only")),
    ("refund only, said", {"after_sale_type": AfterSaleType.refund_only}, {}, ParcelStage.in_transit, everywhere()),
    ("stage unknown", {}, {}, ParcelStage.unknown, everywhere()),
    ("picked up", {}, {}, ParcelStage.picked_up, everywhere()),
    ("at destination city", {}, {}, ParcelStage.at_destination_city, everywhere()),
    ("at destination outlet", {}, {}, ParcelStage.at_destination_outlet, everywhere()),
    ("out for delivery", {}, {}, ParcelStage.out_for_delivery, only((K, D, X), "parcel_out_for_delivery")),
    ("in a locker", {}, {}, ParcelStage.in_locker, only((K, D, X), "parcel_out_for_delivery")),
    ("signed", {}, {}, ParcelStage.signed, everywhere("parcel_signed")),
    ("not picked up yet", {}, {}, ParcelStage.awaiting_pickup, everywhere("parcel_not_picked_up")),
    ("refused by the buyer", {}, {}, ParcelStage.refused, everywhere("parcel_refused")),
    ("already returning", {}, {}, ParcelStage.returning, everywhere("parcel_returning")),
    ("already returned", {}, {}, ParcelStage.returned, everywhere("parcel_returned")),
    ("carrier problem", {}, {}, ParcelStage.problem, everywhere("parcel_problem")),
    ("every failure at once",
     {"carrier": Carrier.sf, "refund_amount": 90_000, "package_count": 3, "goods_type": GoodsType.fresh,
      "cross_border": True},
     {"shop_status": "closed", "agreement_signed_at": None, "ewaybill_carriers": [], "outlets": {}},
     ParcelStage.signed,
     {K: ["shop_not_operating", "agreement_not_signed", "carrier_not_supported", "ewaybill_not_enabled",
          "outlet_not_subscribed", "amount_over_cap", "multi_package", "goods_type_excluded", "cross_border",
          "parcel_signed"],
      P: ["shop_not_operating", "amount_outside_merchant_range", "multi_package", "parcel_signed"],
      D: ["shop_not_operating", "cross_border", "parcel_signed"],
      X: ["shop_not_operating", "multi_package", "cross_border", "parcel_signed"]}),
]


def _rows():
    for case, request_changes, merchant_changes, stage, expected in TABLE:
        for platform in PLATFORMS:
            yield pytest.param(platform, request_changes, merchant_changes, stage, expected[platform],
                               id=f"{platform.value}: {case}")


@pytest.mark.parametrize("platform, request_changes, merchant_changes, stage, expected", list(_rows()))
def test_rule_table(platform, request_changes, merchant_changes, stage, expected):
    settings = None if merchant_changes is None else merchant(**merchant_changes)
    verdict = assess(request(**request_changes), settings, policy_for(platform), stage)
    assert [reason.code for reason in verdict.reasons] == expected


def test_the_table_covers_every_platform_policy():
    assert set(PLATFORMS) == set(POLICIES)


def test_kuaishou_offers_exactly_the_four_carriers_of_its_seed():
    assert policy_for(K).supported_carriers == {Carrier.zto, Carrier.yto, Carrier.sto, Carrier.jt}


def test_out_for_delivery_is_a_warning_where_the_policy_says_warn():
    verdict = assess(request(), merchant(), policy_for(P), ParcelStage.out_for_delivery)
    assert verdict.reasons == []
    assert [warning.code for warning in verdict.warnings] == ["parcel_out_for_delivery"]


def test_out_for_delivery_is_not_also_a_warning_where_it_is_refused():
    verdict = assess(request(), merchant(), policy_for(K), ParcelStage.out_for_delivery)
    assert [reason.code for reason in verdict.reasons] == ["parcel_out_for_delivery"]
    assert verdict.warnings == []


def test_a_return_and_refund_is_a_warning_where_the_policy_says_warn():
    verdict = assess(request(after_sale_type=AfterSaleType.return_and_refund), merchant(), policy_for(P),
                     ParcelStage.in_transit)
    assert verdict.reasons == []
    assert [warning.code for warning in verdict.warnings] == ["after_sale_type_not_refund_only"]


def test_a_refused_return_and_refund_is_not_also_a_warning():
    verdict = assess(request(after_sale_type=AfterSaleType.return_and_refund), merchant(), policy_for(D),
                     ParcelStage.in_transit)
    assert [reason.code for reason in verdict.reasons] == ["after_sale_type_not_refund_only"]
    assert verdict.warnings == []


def test_an_unknown_stage_passes_with_a_warning():
    verdict = assess(request(), merchant(), policy_for(K), ParcelStage.unknown)
    assert verdict.reasons == []
    assert [warning.code for warning in verdict.warnings] == ["parcel_stage_unknown"]


def test_reasons_name_the_rule_in_words():
    verdict = assess(request(refund_amount=50_000), merchant(), policy_for(K), ParcelStage.in_transit)
    assert verdict.reasons[0].message == "refund_amount must be below 50000 fen on kuaishou"
