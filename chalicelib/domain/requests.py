"""What each API body may hold: one strict model per request body, validated at the edge.

Strict: no extra fields, no type coercion (money is integer fen, never a float or a string).
Every model builds its validator on first use (`defer_build`), since every function imports them.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints, field_validator

from chalicelib.clock import parse_moment, to_iso
from chalicelib.domain.models import Carrier, GoodsType, RefundDecision, RefundMode
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


class CreateInterceptRequest(_Strict):
    """Body of POST /v1/intercepts. Money is integer fen; no floats, no strings."""

    merchant_id: Identifier
    order_id: Identifier
    after_sale_id: Identifier
    carrier: Annotated[Carrier, Field(strict=False)]
    tracking_no: TrackingNo
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


class FeeExportRequest(_Strict):
    period: Annotated[str, Field(description="a day YYYY-MM-DD or a month YYYY-MM (Asia/Shanghai calendar)")]


class CancelRequest(_Strict):
    reason: Reason = ""



class RefundDecisionRequest(_Strict):
    decision: Annotated[RefundDecision, Field(strict=False)]
    note: Note = ""


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


class EndpointRequest(_Strict):
    url: Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]


class AdvanceRequest(BaseModel):
    """Body of POST /local/clock (local stage only)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    #: seconds, millisecond precision (the clock's own): at least 0.001
    advance_seconds: float = Field(ge=0.001, le=366 * 86_400)
