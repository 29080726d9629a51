"""Merchant settings use cases: read and replace a merchant's interception set-up, per platform.

A PUT replaces the whole settings document. `version` is optimistic concurrency: 0 (or absent)
creates, otherwise it must equal the stored version; each write increments it.
"""
from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, Strict, StringConstraints, field_validator

from chalicelib.clock import Clock, from_iso, to_iso
from chalicelib.errors import BadRequest, Conflict, NotFound
from chalicelib.models import Carrier, Identifier, MerchantSettings, Platform, _Strict
from chalicelib.request_bodies import parse_model
from chalicelib.store.merchants import MerchantStore, VersionConflict

CarrierCode = Annotated[Carrier, Strict(False)]
Fen = Annotated[int, Field(ge=0, le=100_000_000)]
_MERCHANT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


class OutletInput(_Strict):
    outlet_id: Identifier
    name: Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
    fee: Annotated[int, Field(ge=0, le=100_000)]


class MerchantSettingsUpdate(_Strict):
    """Body of PUT /v1/merchants/{merchant_id}/settings."""

    version: Annotated[int, Field(ge=0)] = 0
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
            moment = from_iso(value)
        except ValueError:
            raise ValueError("must be an ISO-8601 date-time, e.g. 2026-11-23T08:00:00Z") from None
        if moment.utcoffset() is None or moment.utcoffset().total_seconds() != 0:
            raise ValueError("must be in UTC (end with Z or +00:00)")
        return to_iso(moment)

    @field_validator("enabled_carriers", "ewaybill_carriers")
    @classmethod
    def _no_repeats(cls, carriers: list[Carrier]) -> list[Carrier]:
        if len(set(carriers)) != len(carriers):
            raise ValueError("lists a carrier more than once")
        return carriers


class MerchantService:
    def __init__(self, store: MerchantStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def get(self, platform: Platform, merchant_id: str) -> MerchantSettings:
        found = self._store.get(platform.id, _valid_merchant_id(merchant_id))
        if found is None:
            raise NotFound(f"no settings for merchant {merchant_id}")
        return found

    def put(self, platform: Platform, merchant_id: str, raw_body: bytes | str | None) -> MerchantSettings:
        merchant_id = _valid_merchant_id(merchant_id)
        update = parse_model(MerchantSettingsUpdate, raw_body)
        if update.amount_min is not None and update.amount_max is not None and update.amount_min > update.amount_max:
            raise BadRequest("request body is invalid",
                             fields=[{"field": "amount_max", "problem": "must be at least amount_min"}])
        settings = MerchantSettings(merchant_id=merchant_id, **update.model_dump(exclude={"version"}),
                                    version=update.version + 1, updated_at=to_iso(self._clock.now()))
        try:
            self._store.save(platform.id, settings, expected_version=update.version)
        except VersionConflict as conflict:
            raise Conflict(f"the settings are at version {conflict.current_version}; read them and retry",
                           code="version_conflict", current_version=conflict.current_version) from None
        return settings


def _valid_merchant_id(merchant_id: str) -> str:
    if not _MERCHANT_ID.match(merchant_id or ""):
        raise BadRequest("merchant_id is invalid", fields=[{
            "field": "merchant_id", "problem": "must be 1-64 letters, digits or _.:- starting with a letter or digit"}])
    return merchant_id
