"""Eligibility rules. Each is a pure function of the request, the merchant's settings, the platform
policy and the parcel stage, returning None (pass) or the reason it fails. Codes are stable API."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from chalicelib.domain.models import AfterSaleType, MerchantSettings, ReasonItem
from chalicelib.domain.stages import INTERCEPTABLE, ParcelStage
from chalicelib.rules.policies import PlatformPolicy

if TYPE_CHECKING:  # request bodies: only the API loads pydantic (chalicelib/domain/records.py)
    from chalicelib.domain.requests import CreateInterceptRequest

#: Stages past the last transit point: the courier (or a locker) holds the parcel.
LAST_MILE = frozenset({ParcelStage.out_for_delivery, ParcelStage.in_locker})


@dataclass(frozen=True)
class RuleInput:
    request: CreateInterceptRequest
    merchant: MerchantSettings | None
    policy: PlatformPolicy
    stage: ParcelStage


Rule = Callable[[RuleInput], ReasonItem | None]


def _reason(code: str, message: str) -> ReasonItem:
    return ReasonItem(code=code, message=message)


def merchant_configured(given: RuleInput) -> ReasonItem | None:
    if given.merchant is None:
        return _reason("merchant_not_configured", f"merchant {given.request.merchant_id} has no interception settings")
    if not given.merchant.interception_enabled:
        return _reason("interception_disabled", "the merchant has not enabled interception")
    return None


def shop_operating(given: RuleInput) -> ReasonItem | None:
    if given.merchant and given.merchant.shop_status != "operating":
        return _reason("shop_not_operating", f"the shop is {given.merchant.shop_status}, not operating")
    return None


def agreement_signed(given: RuleInput) -> ReasonItem | None:
    if given.policy.agreement_required and given.merchant and not given.merchant.agreement_signed_at:
        return _reason("agreement_not_signed", "the interception service agreement is not signed")
    return None


def carrier_supported(given: RuleInput) -> ReasonItem | None:
    carrier = given.request.carrier
    if carrier not in given.policy.supported_carriers:
        return _reason("carrier_not_supported", f"{given.policy.name} does not offer interception with {carrier}")
    return None


def carrier_enabled_by_merchant(given: RuleInput) -> ReasonItem | None:
    carrier = given.request.carrier
    if given.policy.merchant_chooses_carriers and given.merchant and carrier not in given.merchant.enabled_carriers:
        return _reason("carrier_not_enabled_by_merchant", f"the merchant has not enabled interception with {carrier}")
    return None


def ewaybill_enabled(given: RuleInput) -> ReasonItem | None:
    carrier = given.request.carrier
    if given.policy.ewaybill_required and given.merchant and carrier not in given.merchant.ewaybill_carriers:
        return _reason("ewaybill_not_enabled", f"the merchant has no {carrier} e-waybill service enabled")
    return None


def outlet_subscribed(given: RuleInput) -> ReasonItem | None:
    carrier = given.request.carrier
    if given.policy.outlet_subscription_required and given.merchant and carrier not in given.merchant.outlets:
        return _reason("outlet_not_subscribed",
                       f"the merchant has not subscribed to a {carrier} outlet's interception service")
    return None


def amount_under_cap(given: RuleInput) -> ReasonItem | None:
    cap = given.policy.amount_cap_exclusive
    if cap is not None and given.request.refund_amount >= cap:
        return _reason("amount_over_cap", f"refund_amount must be below {cap} fen on {given.policy.name}")
    return None


def amount_in_merchant_range(given: RuleInput) -> ReasonItem | None:
    """Pinduoduo-style merchant range: min and max both inclusive."""
    merchant, amount = given.merchant, given.request.refund_amount
    if not (given.policy.merchant_amount_range and merchant):
        return None
    low, high = merchant.amount_min, merchant.amount_max
    if low is not None and amount < low:
        return _reason("amount_outside_merchant_range",
                       f"refund_amount {amount} is below the merchant's minimum of {low} fen")
    if high is not None and amount > high:
        return _reason("amount_outside_merchant_range",
                       f"refund_amount {amount} is above the merchant's maximum of {high} fen")
    return None


def single_package(given: RuleInput) -> ReasonItem | None:
    if given.request.package_count > 1 and not given.policy.multi_package_allowed:
        return _reason("multi_package", "multi-package orders cannot be intercepted on this platform")
    return None


def goods_type_allowed(given: RuleInput) -> ReasonItem | None:
    goods = given.request.goods_type
    if goods in given.policy.excluded_goods_types:
        return _reason("goods_type_excluded", f"{goods} goods cannot be intercepted on this platform")
    return None


def not_cross_border(given: RuleInput) -> ReasonItem | None:
    merchant_cross_border = bool(given.merchant and given.merchant.cross_border)
    if (given.request.cross_border or merchant_cross_border) and not given.policy.cross_border_allowed:
        return _reason("cross_border", "cross-border orders and merchants cannot use interception on this platform")
    return None


def _return_and_refund(given: RuleInput) -> bool:
    """Absent, the type is refund-only: the case interception is for (发货后仅退款, seeds 002/003)."""
    return given.request.after_sale_type == AfterSaleType.return_and_refund


def refund_only_after_sale(given: RuleInput) -> ReasonItem | None:
    if _return_and_refund(given) and given.policy.return_and_refund == "refuse":
        return _reason("after_sale_type_not_refund_only",
                       "only refund-only after-sales (仅退款) can be intercepted on this platform; "
                       "a return and refund waits for the buyer to send the goods back")
    return None


def parcel_interceptable(given: RuleInput) -> ReasonItem | None:
    stage = given.stage
    if stage in INTERCEPTABLE or stage == ParcelStage.unknown:
        return None
    if stage in LAST_MILE:
        if given.policy.out_for_delivery == "warn":
            return None
        return _reason("parcel_out_for_delivery", f"the parcel is already {_words(stage)}")
    if stage == ParcelStage.signed:
        return _reason("parcel_signed", "the parcel has been signed for")
    if stage == ParcelStage.awaiting_pickup:
        return _reason("parcel_not_picked_up", "the parcel has not been picked up yet; cancel the shipment instead")
    return _reason(f"parcel_{stage.value}", f"the parcel is {_words(stage)}")


def _words(stage: ParcelStage) -> str:
    return stage.value.replace("_", " ")


#: Every rule, in reporting order. All are evaluated; every failure is reported.
RULES: tuple[Rule, ...] = (
    merchant_configured,
    shop_operating,
    agreement_signed,
    carrier_supported,
    carrier_enabled_by_merchant,
    ewaybill_enabled,
    outlet_subscribed,
    amount_under_cap,
    amount_in_merchant_range,
    single_package,
    goods_type_allowed,
    not_cross_border,
    refund_only_after_sale,
    parcel_interceptable,
)


def last_mile_warning(given: RuleInput) -> ReasonItem | None:
    if given.stage in LAST_MILE and given.policy.out_for_delivery == "warn":
        return _reason("parcel_out_for_delivery",
                       f"the parcel is already {_words(given.stage)}; the carrier will probably not stop it")
    return None


def stage_unknown_warning(given: RuleInput) -> ReasonItem | None:
    if given.stage == ParcelStage.unknown:
        return _reason("parcel_stage_unknown", "the parcel's stage is not known; the carrier decides")
    return None


def return_and_refund_warning(given: RuleInput) -> ReasonItem | None:
    if _return_and_refund(given) and given.policy.return_and_refund == "warn":
        return _reason("after_sale_type_not_refund_only",
                       "a return and refund (退货退款): intercept only once merchant and buyer have agreed")
    return None


#: Checks that never refuse but tell the caller what to expect.
WARNINGS: tuple[Rule, ...] = (last_mile_warning, stage_unknown_warning, return_and_refund_warning)
