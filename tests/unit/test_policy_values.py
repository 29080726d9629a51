"""Every field of every platform policy, as literal values: building the policies from one base
(chalicelib/rules/policies.py) must not change what any of them says."""
from dataclasses import fields

import pytest

from chalicelib.domain.models import Carrier, GoodsType, PolicyName
from chalicelib.rules.policies import POLICIES, PlatformPolicy

LIST_PRICES = {Carrier.zto: 300, Carrier.yto: 300, Carrier.sto: 300, Carrier.jt: 300, Carrier.sf: 800, Carrier.jd: 500,
               Carrier.yunda: 300, Carrier.ems: 500, Carrier.debang: 500}
EVERY_CARRIER = frozenset({Carrier.zto, Carrier.yto, Carrier.sto, Carrier.jt, Carrier.sf, Carrier.jd, Carrier.yunda,
                           Carrier.ems, Carrier.debang})

EXPECTED = {
    PolicyName.kuaishou: {
        "name": PolicyName.kuaishou,
        "supported_carriers": frozenset({Carrier.zto, Carrier.yto, Carrier.sto, Carrier.jt}),
        "amount_cap_exclusive": 50_000,
        "excluded_goods_types": frozenset({GoodsType.fresh, GoodsType.virtual, GoodsType.full_truckload}),
        "multi_package_allowed": False,
        "cross_border_allowed": False,
        "agreement_required": True,
        "ewaybill_required": True,
        "merchant_amount_range": False,
        "merchant_chooses_carriers": True,
        "out_for_delivery": "refuse",
        "return_and_refund": "refuse",
        "processing_window_days": 5,
        "refuse_allowed_after_days": 3,
        "auto_refund_on_success": True,
        "outlet_subscription_required": True,
        "fee_settlement": "offline_outlet",
        "fee_charged_on": "success",
        "carrier_fees": {},
        "redirect_fees": {},
    },
    PolicyName.pinduoduo: {
        "name": PolicyName.pinduoduo,
        "supported_carriers": EVERY_CARRIER,
        "amount_cap_exclusive": None,
        "excluded_goods_types": frozenset({GoodsType.virtual}),
        "multi_package_allowed": False,
        "cross_border_allowed": True,
        "agreement_required": False,
        "ewaybill_required": False,
        "merchant_amount_range": True,
        "merchant_chooses_carriers": True,
        "out_for_delivery": "warn",
        "return_and_refund": "warn",
        "processing_window_days": 5,
        "refuse_allowed_after_days": 3,
        "auto_refund_on_success": True,
        "outlet_subscription_required": False,
        "fee_settlement": "online",
        "fee_charged_on": "attempt",
        "carrier_fees": LIST_PRICES,
        "redirect_fees": {},
    },
    PolicyName.douyin: {
        "name": PolicyName.douyin,
        "supported_carriers": EVERY_CARRIER,
        "amount_cap_exclusive": None,
        "excluded_goods_types": frozenset({GoodsType.virtual}),
        "multi_package_allowed": True,
        "cross_border_allowed": False,
        "agreement_required": False,
        "ewaybill_required": False,
        "merchant_amount_range": False,
        "merchant_chooses_carriers": True,
        "out_for_delivery": "refuse",
        "return_and_refund": "refuse",
        "processing_window_days": 5,
        "refuse_allowed_after_days": 3,
        "auto_refund_on_success": True,
        "outlet_subscription_required": False,
        "fee_settlement": "online",
        "fee_charged_on": "success",
        "carrier_fees": LIST_PRICES,
        "redirect_fees": {},
    },
    PolicyName.default: {
        "name": PolicyName.default,
        "supported_carriers": EVERY_CARRIER,
        "amount_cap_exclusive": None,
        "excluded_goods_types": frozenset({GoodsType.virtual}),
        "multi_package_allowed": False,
        "cross_border_allowed": False,
        "agreement_required": False,
        "ewaybill_required": False,
        "merchant_amount_range": False,
        "merchant_chooses_carriers": True,
        "out_for_delivery": "refuse",
        "return_and_refund": "refuse",
        "processing_window_days": 5,
        "refuse_allowed_after_days": 3,
        "auto_refund_on_success": True,
        "outlet_subscription_required": False,
        "fee_settlement": "online",
        "fee_charged_on": "success",
        "carrier_fees": LIST_PRICES,
        "redirect_fees": {},
    },
}


def test_every_policy_is_listed():
    assert set(POLICIES) == set(EXPECTED) == set(PolicyName)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_every_field_of_the_policy_has_its_value(name):
    policy = POLICIES[name]
    assert {field.name: getattr(policy, field.name) for field in fields(PlatformPolicy)} == EXPECTED[name]
    assert dict(policy.carrier_fees) == EXPECTED[name]["carrier_fees"]
