"""Domain records and their vocabularies: what an interception record, a claim, a merchant's settings
and a platform hold. What the API accepts in a body is in `chalicelib.domain.requests`.

The records are plain dataclasses (`chalicelib.domain.records` says why): every Lambda function
imports this module, and only the API's request bodies need pydantic's validators.
"""
from __future__ import annotations

from dataclasses import field
from enum import StrEnum
from typing import Literal

from chalicelib.carriers import carrier_codes
from chalicelib.domain.records import Record, record
from chalicelib.domain.returns import ReturnTo
from chalicelib.domain.stages import TrackingScan

#: The carriers a platform can name: one member per carrier declared in chalicelib/carriers/<code>/
#: (aggregators are routes, not carriers), named by its code: `Carrier.zto == "zto"`.
Carrier = StrEnum("Carrier", [(code, code) for code in carrier_codes()], module=__name__, qualname="Carrier")


class GoodsType(StrEnum):
    general = "general"
    fresh = "fresh"                  # 生鲜 / perishable
    virtual = "virtual"              # 虚拟商品
    full_truckload = "full_truckload"  # 整车


class InterceptStatus(StrEnum):
    pending = "pending"                  # accepted, queued for the carrier
    submitted = "submitted"              # carrier acknowledged the instruction
    intercepted = "intercepted"          # carrier stopped the parcel; it is returning
    returned = "returned"                # back with the sender
    failed = "failed"                    # carrier could not stop it
    cancel_requested = "cancel_requested"  # merchant asked to cancel; the carrier has (or may have) the instruction
    cancelled = "cancelled"              # withdrawn: never reached the carrier, or the carrier confirmed it
    needs_attention = "needs_attention"  # the gateway could not reach a result; an operator acts


class RefundStatus(StrEnum):
    awaiting_result = "awaiting_result"
    refund_auto = "refund_auto"
    refund_agreed = "refund_agreed"
    refund_refused = "refund_refused"
    refund_timeout = "refund_timeout"
    arbitration = "arbitration"
    refund_paid_upfront = "refund_paid_upfront"  # 极速退款: the platform refunded the buyer at once
    refund_partial = "refund_partial"    # the merchant refunds part of the amount (negotiated, seed 000)
    #: the record is one parcel of an after-sale of several: the after-sale item holds the refund track
    with_after_sale = "with_after_sale"


class RefundMode(StrEnum):
    standard = "standard"  # the refund waits for the interception result or the deadline
    express = "express"    # the platform has already refunded the buyer (极速退款)


class RefundDecision(StrEnum):
    agree = "agree"
    refuse = "refuse"
    arbitrate = "arbitrate"
    partial_refund = "partial_refund"


class AfterSaleType(StrEnum):
    refund_only = "refund_only"              # 仅退款: the interception's case (seeds 002, 003)
    return_and_refund = "return_and_refund"  # 退货退款: the buyer sends the goods back


class ClaimStatus(StrEnum):
    open = "open"
    paid = "paid"
    rejected = "rejected"


class PolicyName(StrEnum):
    default = "default"
    kuaishou = "kuaishou"
    pinduoduo = "pinduoduo"
    douyin = "douyin"


class EventSource(StrEnum):
    api = "api"
    carrier = "carrier"
    schedule = "schedule"
    worker = "worker"
    operator = "operator"


@record
class RedirectAddress(Record):
    """Where the parcel should go instead of back to the sender (carriers that offer re-addressing);
    validated on the way in by `chalicelib.domain.requests.RedirectAddress`."""

    name: str
    phone: str
    province: str
    city: str
    district: str
    street: str


@record
class Claim(Record):
    id: str
    intercept_id: str
    amount: int
    description: str
    evidence: list[str] = field(default_factory=list)
    status: ClaimStatus = ClaimStatus.open
    created_at: str
    updated_at: str
    resolution_note: str = ""


@record
class ReasonItem(Record):
    code: str
    message: str


@record
class Event(Record):
    at: str
    source: EventSource
    from_status: InterceptStatus | None = None
    to_status: InterceptStatus
    reason: str = ""
    #: set on after-sale (refund) changes; the interception status stays as it was
    from_refund_status: RefundStatus | None = None
    to_refund_status: RefundStatus | None = None


#: The status every interception starts in.
INITIAL = InterceptStatus.pending


def created_event(at: str, reason: str) -> Event:
    """A record's first history event. It says nothing the record does not (when it was created and
    why), so it is not stored: `InterceptStore.get_with_history` puts it back before the stored
    events, and a record's history costs writes only for its changes."""
    return Event(at=at, source=EventSource.api, from_status=None, to_status=INITIAL,
                 reason=reason or "interception requested")


#: An intercept's lists kept in items of their own beside the record item (one item per event, claim
#: and tracking scan), so a record write stays one write unit; `get_with_history` reads them back.
KEPT_APART = frozenset({"events", "claims", "tracking"})


@record
class Intercept(Record):
    """One interception record, as stored and as returned by the API."""

    id: str
    platform_id: str
    policy: PolicyName
    merchant_id: str
    order_id: str
    after_sale_id: str
    carrier: Carrier
    tracking_no: str
    refund_amount: int
    package_count: int
    goods_type: GoodsType
    cross_border: bool
    reason: str
    status: InterceptStatus
    refund_status: RefundStatus
    created_at: str
    updated_at: str
    processing_deadline: str
    version: int = 1
    carrier_ref: str | None = None
    result_reason: str | None = None
    last_error: str | None = None
    dispatch_attempts: int = 0
    #: while set and in the future, a dispatch worker may be calling the carrier (see Store.claim_dispatch)
    dispatch_lease_until: str | None = None
    #: the price quoted when the interception was requested (see chalicelib/rules/pricing.py)
    fee_quote: dict | None = None
    #: the fee charged, fixed once when the carrier's result arrives; never changed afterwards. Its
    #: `source` says whether the amount is the carrier's (`carrier_fee`) or the quote's
    fee: dict | None = None
    #: the fee (fen) the carrier said it charges, where its answer says one (SF `amount`); the fee
    #: fixed on the result is then this amount rather than the quote's
    carrier_fee: int | None = None
    result_at: str | None = None
    charged_at: str | None = None
    #: the carrier's answer to withdrawing the instruction after a cancel: withdrawn | not_at_carrier |
    #: refused: <reason> (it acted already; its result decides) | unconfirmed: <error> (it could not be reached)
    carrier_cancel: str | None = None
    #: the aggregator the instruction goes through (kuaidi100, ...); absent when sent to the carrier itself.
    #: Fixed when the first carrier call is leased: only pushes and answers over this route count.
    via: str | None = None
    #: set by a cancel: the carrier had accepted the instruction (so only it can withdraw it)
    carrier_accepted: bool | None = None
    #: withdrawal calls made after a cancel (see InterceptStore.claim_cancel); absent until the first
    cancel_attempts: int | None = None
    refund_mode: RefundMode = RefundMode.standard
    refund_decided_at: str | None = None
    returned_at: str | None = None
    redirect_to: RedirectAddress | None = None
    #: set only for a return to the sending outlet (absent: back to the sender, as every earlier record)
    return_to: ReturnTo | None = None
    #: set only when the create named it (absent: refund_only, as every earlier record)
    after_sale_type: AfterSaleType | None = None
    #: the amount a `partial_refund` decision refunds (fen)
    refund_partial_amount: int | None = None
    events: list[Event] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    #: the parcel's tracking scans (走件记录), oldest first
    tracking: list[TrackingScan] = field(default_factory=list)

    @property
    def route(self) -> str:
        """The protocol the carrier's results for this record come over."""
        return self.via or self.carrier.value

    def public(self, with_events: bool = True) -> dict:
        hidden = ({"platform_id", "policy", "dispatch_attempts", "dispatch_lease_until", "cancel_attempts",
                   "carrier_accepted"}
                  | (set() if with_events else KEPT_APART))
        body = self.model_dump(mode="json", exclude=hidden)
        for event in body.get("events", []):
            if event["to_refund_status"] is None:
                del event["from_refund_status"], event["to_refund_status"]
        body["deadlines"] = {"processing": body.pop("processing_deadline")}
        return body


@record
class AfterSaleParcel(Record):
    """One target of an after-sale: its intercept (absent when refused at the door) and where it stands."""

    carrier: Carrier
    tracking_no: str
    intercept_id: str | None = None
    #: the intercept's status; `refused` when the target was refused at the door and never sent
    status: str
    result_reason: str | None = None


@record
class AfterSaleEvent(Record):
    """A change of an after-sale: a parcel's result counted, or its refund track moving."""

    at: str
    source: EventSource
    reason: str = ""
    from_refund_status: RefundStatus | None = None
    to_refund_status: RefundStatus | None = None


@record
class AfterSale(Record):
    """An after-sale of several parcels (Douyin's `intercept_targets`): it holds the refund track of
    all of them. An after-sale of one parcel is the intercept record itself."""

    id: str
    platform_id: str
    policy: PolicyName
    merchant_id: str
    order_id: str
    refund_amount: int
    after_sale_type: AfterSaleType = AfterSaleType.refund_only
    refund_mode: RefundMode = RefundMode.standard
    refund_status: RefundStatus
    created_at: str
    updated_at: str
    processing_deadline: str
    version: int = 1
    refund_decided_at: str | None = None
    refund_partial_amount: int | None = None
    parcels: list[AfterSaleParcel] = field(default_factory=list)
    events: list[AfterSaleEvent] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        success = sum(1 for parcel in self.parcels if parcel.status in ("intercepted", "returned"))
        failed = sum(1 for parcel in self.parcels if parcel.status in ("failed", "refused"))
        cancelled = sum(1 for parcel in self.parcels if parcel.status == "cancelled")
        return {"success_count": success, "failed_count": failed, "cancelled_count": cancelled,
                "pending_count": len(self.parcels) - success - failed - cancelled}

    def public(self) -> dict:
        body = self.model_dump(mode="json", exclude={"platform_id", "policy", "processing_deadline"})
        body["deadlines"] = {"processing": self.processing_deadline}
        body.update(self.counts())
        return body


@record
class Platform(Record):
    id: str
    name: str
    policy: PolicyName


@record
class Outlet(Record):
    """A carrier outlet (网点) the merchant subscribed to, with the interception fee agreed with it
    (fen per interception). Validated on the way in by the merchant settings API."""

    outlet_id: str
    name: str
    fee: int


@record
class AutoInterceptRule(Record):
    """When the gateway intercepts on its own, on the platform's refund-requested event
    (`POST /v1/after-sale-events`; seed 001: 设定拦截订单金额区间, 选择支持的物流服务商).
    An empty `carriers` or `goods_types` covers every one; amounts are fen, both edges inclusive."""

    enabled: bool = False
    amount_min: int | None = None
    amount_max: int | None = None
    carriers: list[Carrier] = field(default_factory=list)
    goods_types: list[GoodsType] = field(default_factory=list)
    #: refund only by default: the interception's case is 发货后仅退款 (seed 002)
    after_sale_types: list[AfterSaleType] = field(default_factory=lambda: [AfterSaleType.refund_only])


@record
class CarrierAccount(Record):
    """The merchant's own account with a carrier: its non-secret fields (named as the route's
    declaration names them) and the name of the secret holding the secret ones (docs/security.md)."""

    fields: dict[str, str] = field(default_factory=dict)
    secret_ref: str | None = None


@record
class MerchantSettings(Record):
    """What a merchant has set up with its platform; written through PUT /v1/merchants/{id}/settings."""

    merchant_id: str
    shop_status: Literal["operating", "suspended", "closed"] = "operating"
    agreement_signed_at: str | None = None
    cross_border: bool = False
    interception_enabled: bool = False
    amount_min: int | None = None
    amount_max: int | None = None
    enabled_carriers: list[Carrier] = field(default_factory=list)
    ewaybill_carriers: list[Carrier] = field(default_factory=list)
    outlets: dict[Carrier, Outlet] = field(default_factory=dict)
    #: absent: the gateway never intercepts on an after-sale event
    auto_intercept: AutoInterceptRule | None = None
    carrier_accounts: dict[Carrier, CarrierAccount] = field(default_factory=dict)
    version: int = 0
    updated_at: str | None = None
