"""A merchant's automatic interception rule judged against a platform's refund-requested event.

Pure: the merchant's settings and the event in, every condition out, each matched or not (like the
eligibility rules, every condition is judged and reported). Conditions that match are described
from the event alone, so a redelivered event that still matches is answered word for word as the
first. Codes are stable API (docs/rules.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.domain.models import AutoInterceptRule, MerchantSettings

if TYPE_CHECKING:  # request bodies: only the API loads pydantic (chalicelib/domain/records.py)
    from chalicelib.domain.requests import AfterSaleEventRequest


@dataclass(frozen=True)
class Condition:
    code: str
    matched: bool
    message: str

    def as_dict(self) -> dict:
        return {"code": self.code, "matched": self.matched, "message": self.message}


def judge(merchant: MerchantSettings | None, event: AfterSaleEventRequest) -> list[Condition]:
    """Every condition of the merchant's rule, in a stable order; without a rule, only `enabled`."""
    if merchant is None:
        return [Condition("enabled", False, f"merchant {event.merchant_id} has no settings with this platform")]
    rule = merchant.auto_intercept
    if rule is None:
        return [Condition("enabled", False, "the merchant has no auto_intercept rule")]
    return [
        Condition("enabled", rule.enabled, "the merchant's auto_intercept rule is "
                  + ("enabled" if rule.enabled else "disabled")),
        _after_sale_type(rule, event),
        _amount(rule, event),
        _carriers(rule, event),
        _goods_type(rule, event),
    ]


def _after_sale_type(rule: AutoInterceptRule, event: AfterSaleEventRequest) -> Condition:
    kind = event.after_sale_type.value
    if event.after_sale_type in rule.after_sale_types:
        return Condition("after_sale_type", True, f"{kind} is covered")
    covered = ", ".join(item.value for item in rule.after_sale_types) or "none"
    return Condition("after_sale_type", False, f"{kind} is not among the rule's after_sale_types ({covered})")


def _amount(rule: AutoInterceptRule, event: AfterSaleEventRequest) -> Condition:
    amount = event.refund_amount
    if rule.amount_min is not None and amount < rule.amount_min:
        return Condition("amount", False, f"refund_amount {amount} fen is below the rule's amount_min {rule.amount_min}")
    if rule.amount_max is not None and amount > rule.amount_max:
        return Condition("amount", False, f"refund_amount {amount} fen is above the rule's amount_max {rule.amount_max}")
    return Condition("amount", True, f"refund_amount {amount} fen is within the rule's range")


def _carriers(rule: AutoInterceptRule, event: AfterSaleEventRequest) -> Condition:
    """Every parcel's carrier must be covered: an after-sale is intercepted whole or not at all."""
    carriers = list(dict.fromkeys(parcel.carrier.value for parcel in event.parcels))
    outside = [code for code in carriers if rule.carriers and code not in rule.carriers]
    if not outside:
        return Condition("carriers", True, f"{', '.join(carriers)}: covered")
    return Condition("carriers", False, f"{', '.join(outside)} not among the rule's carriers "
                                        f"({', '.join(carrier.value for carrier in rule.carriers)})")


def _goods_type(rule: AutoInterceptRule, event: AfterSaleEventRequest) -> Condition:
    kind = event.goods_type.value
    if not rule.goods_types or event.goods_type in rule.goods_types:
        return Condition("goods_type", True, f"{kind} is covered")
    covered = ", ".join(item.value for item in rule.goods_types)
    return Condition("goods_type", False, f"{kind} is not among the rule's goods_types ({covered})")
