"""What each API body may hold: one strict model per request body, validated at the edge.

Strict: no extra fields, no type coercion (money is integer fen, never a float or a string).
Every model builds its validator on first use (`defer_build`), since every function imports them.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from chalicelib.clock import parse_moment, to_iso
from chalicelib.domain.models import AfterSaleType, Carrier, GoodsType, RefundDecision, RefundMode
from chalicelib.domain.returns import ReturnTo
from chalicelib.domain.stages import ParcelStage

Identifier = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
TrackingNo = Annotated[str, StringConstraints(min_length=6, max_length=32, pattern=r"^[A-Za-z0-9]+$")]
Reason = Annotated[str, StringConstraints(max_length=200, strip_whitespace=True)]

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, use_enum_values=False, defer_build=True)


# Stored as the record chalicelib.domain.models.RedirectAddress (the same fields).
class RedirectAddress(_Strict):
    """Where the parcel should go instead of back to the sender (carriers that offer re-addressing)."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=50, strip_whitespace=True)]
    phone: Annotated[str, StringConstraints(pattern=r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")]
    province: Annotated[str, StringConstraints(min_length=1, max_length=20, strip_whitespace=True)]
    city: Annotated[str, StringConstraints(min_length=1, max_length=30, strip_whitespace=True)]
    district: Annotated[str, StringConstraints(min_length=1, max_length=30, strip_whitespace=True)]
    street: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]


CarrierCode = Annotated[Carrier, Strict(False)]
Fen = Annotated[int, Field(ge=0, le=100_000_000)]
Note = Annotated[str, StringConstraints(max_length=500, strip_whitespace=True)]


MAX_TARGETS = 20


class Target(_Strict):
    """One parcel of an after-sale (Douyin's `intercept_targets[]`)."""

    carrier: Annotated[Carrier, Field(strict=False)]
    tracking_no: TrackingNo


class CreateInterceptRequest(_Strict):
    """Body of POST /v1/intercepts. Money is integer fen; no floats, no strings.

    One parcel (`carrier` + `tracking_no`), or an after-sale's parcels (`targets`, 1 to 20, no
    parcel twice): each target gets its own verdict, and the after-sale holds the refund track."""

    merchant_id: Identifier
    order_id: Identifier
    after_sale_id: Identifier
    carrier: Annotated[Carrier | None, Field(strict=False)] = None
    tracking_no: TrackingNo | None = None
    targets: Annotated[list[Target] | None, Field(min_length=1, max_length=MAX_TARGETS, description=(
        "the after-sale's parcels, in place of `carrier` + `tracking_no`: 1 to 20, no parcel twice"))] = None
    after_sale_type: Annotated[AfterSaleType | None, Field(strict=False, description=(
        "refund_only (仅退款, absent means this) or return_and_refund"))] = None
    refund_amount: Annotated[int, Field(ge=1, le=100_000_000)]
    package_count: Annotated[int, Field(ge=1, le=99)] = 1
    goods_type: Annotated[GoodsType, Field(strict=False)] = GoodsType.general
    cross_border: bool = False
    reason: Reason = ""
    parcel_stage: Annotated[ParcelStage | None, Field(strict=False)] = None
    refund_mode: Annotated[RefundMode, Field(strict=False)] = RefundMode.standard
    redirect_to: RedirectAddress | None = Field(
        default=None, description="re-address the parcel instead of returning it to the sender (SF, and carriers "
                                  "reached through kuaidi100); refused as `redirect_not_supported` elsewhere")
    return_to: Annotated[ReturnTo, Field(strict=False, description=(
        "where a return goes: `sender` (the sender's address, the default) or `outlet` (the sending outlet, "
        "网点; for every target of an after-sale); the outlet only where the carrier as connected offers it "
        "(kuaidi100, jumdata), refused as `return_to_outlet_not_supported` elsewhere; not with `redirect_to`"))] = \
        ReturnTo.sender

    @model_validator(mode="wrap")
    @classmethod
    def _name_missing_parcel(cls, data, handler):
        """Other fields' errors stop the check below: name a missing `carrier` / `tracking_no` with them."""
        try:
            return handler(data)
        except ValidationError as error:
            missing = [name for name in ("carrier", "tracking_no") if isinstance(data, dict)
                       and "targets" not in data and name not in data]
            if not missing or any(item["loc"] == () for item in error.errors()):
                raise
            details = [{"type": item["type"], "loc": item["loc"], "input": item.get("input"),
                        **({"ctx": item["ctx"]} if "ctx" in item else {})} for item in error.errors()]
            raise ValidationError.from_exception_data(
                cls.__name__, details + [{"type": "missing", "loc": (name,), "input": data} for name in missing]) \
                from None

    @model_validator(mode="after")
    def _one_form(self):
        single = self.carrier is not None or self.tracking_no is not None
        if self.targets is not None and single:
            raise ValueError("targets: give either targets or carrier and tracking_no, not both")
        if self.targets is None and (self.carrier is None or self.tracking_no is None):
            raise ValueError(f"{'carrier' if self.carrier is None else 'tracking_no'}: required (or targets)")
        if self.targets is not None:
            parcels = [(target.carrier, target.tracking_no) for target in self.targets]
            if len(set(parcels)) != len(parcels):
                raise ValueError("targets: lists a parcel more than once")
        if self.return_to == ReturnTo.outlet and self.redirect_to is not None:
            raise ValueError("return_to: a redirect is not a return; give redirect_to or return_to outlet, not both")
        return self

    def parcels(self) -> list[tuple[Carrier, str]]:
        """The parcels asked for, in the body's order."""
        if self.targets is None:
            return [(self.carrier, self.tracking_no)]
        return [(target.carrier, target.tracking_no) for target in self.targets]

    def record_fields(self) -> dict:
        """The fields an intercept record takes from this request (a return to the sender is stored
        as no `return_to`, as every record before the field)."""
        fields = self.model_dump(exclude={"parcel_stage", "targets", "return_to"})
        return {**fields, "return_to": self.return_to if self.return_to == ReturnTo.outlet else None}

    def for_parcel(self, carrier: Carrier, tracking_no: str) -> "CreateInterceptRequest":
        """This request narrowed to one of its parcels (the package count covers them all)."""
        count = max(self.package_count, len(self.targets or ()))
        return self.model_copy(update={"carrier": carrier, "tracking_no": tracking_no, "targets": None,
                                       "package_count": count})


class FeeExportRequest(_Strict):
    period: Annotated[str, Field(description="a day YYYY-MM-DD or a month YYYY-MM (Asia/Shanghai calendar)")]


class CancelRequest(_Strict):
    reason: Reason = ""



class RefundDecisionRequest(_Strict):
    decision: Annotated[RefundDecision, Field(strict=False)]
    note: Note = ""
    amount: Annotated[int | None, Field(ge=1, le=100_000_000, description=(
        "fen refunded by a `partial_refund` (required with it, below the refund amount; not with others)"))] = None

    @model_validator(mode="after")
    def _amount_with_partial(self):
        if (self.decision == RefundDecision.partial_refund) != (self.amount is not None):
            raise ValueError("amount: required with partial_refund, and only with it")
        return self


class ClaimRequest(_Strict):
    """Loss or damage after a successful interception; the carrier pays offline."""

    amount: Annotated[int, Field(ge=1, le=100_000_000)]
    description: Annotated[str, StringConstraints(min_length=1, max_length=1000, strip_whitespace=True)]
    evidence: Annotated[list[Annotated[str, StringConstraints(min_length=1, max_length=500)]],
                        Field(max_length=20)] = Field(default_factory=list)


class ClaimResolutionRequest(_Strict):
    status: Literal["paid", "rejected"]
    note: Note = ""


class OutletInput(_Strict):
    outlet_id: Identifier
    name: Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
    fee: Annotated[int, Field(ge=0, le=100_000)]


class AutoInterceptInput(_Strict):
    """The merchant's automatic interception rule (stored as chalicelib.domain.models.AutoInterceptRule)."""

    enabled: bool = False
    amount_min: Annotated[Fen | None, Field(description="fen, inclusive; absent: no lower bound")] = None
    amount_max: Annotated[Fen | None, Field(description="fen, inclusive; absent: no upper bound")] = None
    carriers: Annotated[list[CarrierCode], Field(description="the carriers covered; empty: every carrier")] = \
        Field(default_factory=list)
    goods_types: Annotated[list[Annotated[GoodsType, Strict(False)]], Field(
        description="the goods types covered (the create body's `goods_type` values); empty: every type")] = \
        Field(default_factory=list)
    after_sale_types: Annotated[list[Annotated[AfterSaleType, Strict(False)]], Field(
        min_length=1, description="the after-sale types covered; default refund_only (仅退款) only")] = \
        Field(default_factory=lambda: [AfterSaleType.refund_only])

    @field_validator("carriers", "goods_types", "after_sale_types")
    @classmethod
    def _no_repeats(cls, values: list) -> list:
        if len(set(values)) != len(values):
            raise ValueError("lists a value more than once")
        return values


class CarrierAccountInput(_Strict):
    """A merchant's account with a carrier: the non-secret fields inline, the secret ones only by
    the name of the secret that holds them (a secret field inline is refused)."""

    fields: Annotated[dict[Annotated[str, StringConstraints(min_length=1, max_length=32,
                                                            pattern=r"^[A-Za-z][A-Za-z0-9_]*$")],
                           Annotated[str, StringConstraints(min_length=1, max_length=128)]],
                      Field(max_length=16)] = Field(default_factory=dict)
    secret_ref: Annotated[str, StringConstraints(min_length=1, max_length=256,
                                                 pattern=r"^[A-Za-z0-9][A-Za-z0-9/_+=.@-]*$")] | None = None


class MerchantSettingsUpdate(_Strict):
    """Body of PUT /v1/merchants/{merchant_id}/settings. `version` 0 (or absent) creates; otherwise it
    must equal the stored version (optimistic concurrency)."""

    version: Annotated[int, Field(ge=0, le=1_000_000_000)] = 0
    shop_status: Literal["operating", "suspended", "closed"] = "operating"
    agreement_signed_at: str | None = None
    cross_border: bool = False
    interception_enabled: bool = False
    amount_min: Fen | None = None
    amount_max: Fen | None = None
    enabled_carriers: list[CarrierCode] = Field(default_factory=list)
    ewaybill_carriers: list[CarrierCode] = Field(default_factory=list)
    outlets: dict[CarrierCode, OutletInput] = Field(default_factory=dict)
    auto_intercept: Annotated[AutoInterceptInput | None, Field(description=(
        "intercept on the platform's refund-requested event (POST /v1/after-sale-events); absent: never"))] = None
    carrier_accounts: dict[CarrierCode, CarrierAccountInput] = Field(default_factory=dict, description=(
        "per carrier, the merchant's own account with it, in its route's field names (SF monthlyCardNo, payMode; "
        "J&T customerCode, password*; JD vendorCode; jumdata customerCode, customerPsw*, customerSiteCode; "
        "kuaidi100 partnerId, ...; * secret): the non-secret ones in `fields`, the secret ones only in the "
        "Secrets Manager secret `secret_ref` names (under intercept-gateway/carrier-accounts/)"))

    @field_validator("agreement_signed_at")
    @classmethod
    def _utc_time(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            moment = parse_moment(value)
        except ValueError:
            raise ValueError("must be an ISO-8601 date-time in UTC, e.g. 2026-11-23T08:00:00Z") from None
        if moment.utcoffset().total_seconds() != 0:
            raise ValueError("must be in UTC (end with Z or +00:00)")
        return to_iso(moment)

    @field_validator("enabled_carriers", "ewaybill_carriers")
    @classmethod
    def _no_repeats(cls, carriers: list[Carrier]) -> list[Carrier]:
        if len(set(carriers)) != len(carriers):
            raise ValueError("lists a carrier more than once")
        return carriers


class AfterSaleEventRequest(_Strict):
    """Body of POST /v1/after-sale-events: the platform's refund-requested event. Money is integer fen."""

    event_id: Annotated[Identifier, Field(description=(
        "the platform's id of the event; every delivery of one event carries the same id"))]
    event_type: Annotated[Literal["refund_requested"], Field(description="the buyer asked for a refund")] = \
        "refund_requested"
    merchant_id: Identifier
    order_id: Identifier
    after_sale_id: Identifier
    after_sale_type: Annotated[AfterSaleType, Field(strict=False, description="refund_only (仅退款) or return_and_refund")]
    refund_amount: Annotated[int, Field(ge=1, le=100_000_000)]
    parcels: Annotated[list[Target], Field(min_length=1, max_length=MAX_TARGETS, description=(
        "the order's shipped parcels: 1 to 20, no parcel twice"))]
    goods_type: Annotated[GoodsType, Field(strict=False)] = GoodsType.general
    cross_border: bool = False
    parcel_stage: Annotated[ParcelStage | None, Field(strict=False, description=(
        "the platform's last known tracking state; absent: the carrier is asked"))] = None
    reason: Reason = ""

    @field_validator("parcels")
    @classmethod
    def _each_parcel_once(cls, parcels: list[Target]) -> list[Target]:
        if len({(parcel.carrier, parcel.tracking_no) for parcel in parcels}) != len(parcels):
            raise ValueError("lists a parcel more than once")
        return parcels


class EndpointRequest(_Strict):
    url: Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]


#: The messages one redrive request moves at most, and by default: 10 per SQS round trip, well
#: inside API Gateway's 29 s (chalicelib/operations/redrive.py).
REDRIVE_MAX_MESSAGES, REDRIVE_DEFAULT_MESSAGES = 200, 50


class RedriveRequest(_Strict):
    """Body of POST /v1/operations/queues/{name}/redrive (optional)."""

    max_messages: Annotated[int, Field(ge=1, le=REDRIVE_MAX_MESSAGES, description=(
        f"stop after this many dead-lettered messages (default {REDRIVE_DEFAULT_MESSAGES})"))] = REDRIVE_DEFAULT_MESSAGES


class AdvanceRequest(BaseModel):
    """Body of POST /local/clock (local stage only)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    #: seconds, millisecond precision (the clock's own): at least 0.001
    advance_seconds: float = Field(ge=0.001, le=366 * 86_400)
