"""Claims for loss or damage after a successful interception: opened by the merchant, resolved by
an operator recording the carrier's answer (the carrier pays offline)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.clock import Clock, new_id, to_iso
from chalicelib.domain.lifecycle import SUCCEEDED
from chalicelib.domain.models import Claim, ClaimStatus, Event, EventSource, Platform
from chalicelib.errors import Conflict, NotFound
from chalicelib.store import StaleState
from chalicelib.store.claims import ClaimStore
from chalicelib.usecases.intercepts import InterceptService

if TYPE_CHECKING:  # request bodies: only the API loads pydantic (chalicelib/domain/records.py)
    from chalicelib.domain.requests import ClaimRequest, ClaimResolutionRequest


class Claims:
    def __init__(self, claims: ClaimStore, reader: InterceptService, clock: Clock) -> None:
        self._claims = claims
        self._reader = reader
        self._clock = clock

    def open(self, platform: Platform, intercept_id: str, request: ClaimRequest) -> Claim:
        record = self._reader.get(platform, intercept_id)
        if record.status not in SUCCEEDED:
            raise Conflict("a claim can be opened only after a successful interception", code="claim_not_allowed",
                           status=record.status.value)
        now = self._clock.now()
        at = to_iso(now)
        claim = Claim(id=new_id("clm", self._clock), intercept_id=record.id, amount=request.amount,
                      description=request.description, evidence=request.evidence, created_at=at, updated_at=at)
        event = Event(at=at, source=EventSource.api, from_status=record.status, to_status=record.status,
                      reason=f"claim {claim.id} opened for {claim.amount} fen")
        self._claims.create(record, claim, event)
        return claim

    def resolve(self, platform: Platform, intercept_id: str, claim_id: str, request: ClaimResolutionRequest) -> Claim:
        record = self._reader.get(platform, intercept_id)
        claim = next((found for found in record.claims if found.id == claim_id), None)
        if claim is None:
            raise NotFound(f"no claim {claim_id} on intercept {intercept_id}")
        if claim.status != ClaimStatus.open:
            raise Conflict(f"the claim is already {claim.status.value}", code="claim_already_resolved",
                           status=claim.status.value)
        now = self._clock.now()
        at = to_iso(now)
        resolved = claim.model_copy(update={"status": ClaimStatus(request.status), "updated_at": at,
                                            "resolution_note": request.note})
        event = Event(at=at, source=EventSource.operator, from_status=record.status, to_status=record.status,
                      reason=f"claim {claim.id} {resolved.status.value}" + (f": {request.note}" if request.note else ""))
        try:
            self._claims.resolve(record, resolved, event)
        except StaleState:
            raise Conflict("the claim was resolved meanwhile; read it again", code="claim_already_resolved") from None
        return resolved
