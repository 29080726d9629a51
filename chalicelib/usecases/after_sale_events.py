"""A platform's refund-requested event: intercept on the merchant's behalf when its rule says so.

The merchant's settings are read once (strongly consistent). An event its `auto_intercept` rule
does not cover is answered from that read alone: no write. An event it covers goes through the
create use case as a create with the after-sale's parcels as `targets`, under an idempotency key
derived from the event id, so every delivery of one event makes one interception and a redelivery
gets the first answer (`replayed`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.domain.models import Platform
from chalicelib.errors import Conflict
from chalicelib.rules.auto_intercept import judge
from chalicelib.usecases.intercepts import InterceptService
from chalicelib.usecases.merchant_settings import MerchantSettingsService

if TYPE_CHECKING:  # request bodies: only the API loads pydantic (chalicelib/domain/records.py)
    from chalicelib.domain.requests import AfterSaleEventRequest, CreateInterceptRequest

#: Idempotency keys the gateway derives from event ids; POST /v1/intercepts refuses a header key
#: that starts with it, so no key a platform chooses is ever one of these.
EVENT_KEY_PREFIX = "event:"
AUTOMATIC_REASON = "auto_intercept: refund requested"


@dataclass(frozen=True)
class Handled:
    body: dict
    replayed: bool


def event_idempotency_key(event_id: str) -> str:
    """The key an event's create is recorded under (scoped to the platform, as every key is)."""
    return EVENT_KEY_PREFIX + event_id


def create_request(event: AfterSaleEventRequest) -> CreateInterceptRequest:
    """The create body an event stands for; a field the create body gains is passed on here."""
    from chalicelib.domain.requests import CreateInterceptRequest

    return CreateInterceptRequest.model_validate({
        "merchant_id": event.merchant_id, "order_id": event.order_id, "after_sale_id": event.after_sale_id,
        "targets": event.parcels, "after_sale_type": event.after_sale_type, "refund_amount": event.refund_amount,
        "goods_type": event.goods_type, "cross_border": event.cross_border, "parcel_stage": event.parcel_stage,
        "reason": event.reason or AUTOMATIC_REASON,
    })


class AfterSaleEvents:
    def __init__(self, merchants: MerchantSettingsService, intercepts: InterceptService) -> None:
        self._merchants = merchants
        self._intercepts = intercepts

    def handle(self, platform: Platform, event: AfterSaleEventRequest) -> Handled:
        """What the gateway did with the event and why: `matched` and every condition of the rule;
        when matched, the create's answer (202 body of POST /v1/intercepts with `targets`) as `result`.
        A covered event the interception rules refuse is the create's 422, a parcel already held its 409."""
        merchant = self._merchants.find(platform, event.merchant_id)
        conditions = judge(merchant, event)
        matched = all(condition.matched for condition in conditions)
        answer = {"event_id": event.event_id, "merchant_id": event.merchant_id, "after_sale_id": event.after_sale_id,
                  "matched": matched, "action": "intercept_requested" if matched else "none",
                  "conditions": [condition.as_dict() for condition in conditions], "result": None}
        if not matched:
            return Handled(answer, replayed=False)
        try:
            created = self._intercepts.create(platform, event_idempotency_key(event.event_id), create_request(event),
                                              merchant=merchant)
        except Conflict as conflict:
            if conflict.code != "idempotency_key_reused":
                raise
            raise Conflict(f"event {event.event_id} was already delivered with a different body",
                           code="event_id_reused", event_id=event.event_id) from None
        return Handled({**answer, "result": created.body}, replayed=created.replayed)
