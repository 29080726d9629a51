"""Interception use cases: request one (create, or a dry run), read, list, and cancel."""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Mapping

from chalicelib.clock import Clock, new_id, to_iso
from chalicelib.domain import deadlines, lifecycle
from chalicelib.domain.lifecycle import CANCELLABLE
from chalicelib.domain.models import (
    Event,
    EventSource,
    Intercept,
    InterceptStatus,
    MerchantSettings,
    Platform,
    ReasonItem,
)
from chalicelib.domain.refund_track import initial_status
from chalicelib.domain.stages import ParcelStage
from chalicelib.errors import BadRequest, Conflict, Ineligible, NotFound
from chalicelib.observability import bind, metrics
from chalicelib.queues import Queues, dispatch_message
from chalicelib.rules import Assessment, assess, policy_for
from chalicelib.rules.likelihood import success_likelihood
from chalicelib.rules.pricing import quote_fee
from chalicelib.store import (
    IdempotencyKeyUsed,
    IdempotencyRecord,
    InvalidCursor,
    ListQuery,
    ParcelAlreadyIntercepted,
    ParcelClaimedElsewhere,
    StaleState,
)
from chalicelib.store.intercepts import InterceptStore
from chalicelib.usecases.change_writer import ChangeWriter
from chalicelib.usecases.merchant_settings import MerchantSettingsService

if TYPE_CHECKING:  # request bodies: only the API loads pydantic (chalicelib/domain/records.py)
    from chalicelib.domain.requests import CancelRequest, CreateInterceptRequest

log = logging.getLogger(__name__)

#: Asks a carrier where a parcel is: (carrier code, tracking number) -> stage; `unknown` when it cannot tell.
StageLookup = Callable[[str, str], ParcelStage]


def _stage_not_known(carrier_code: str, tracking_no: str) -> ParcelStage:
    return ParcelStage.unknown


@dataclass(frozen=True)
class Created:
    body: dict
    replayed: bool


@dataclass(frozen=True)
class ConnectedCarriers:
    """What the gateway can do with each carrier it has a connection to."""

    codes: frozenset[str]
    redirecting: frozenset[str] = frozenset()
    #: per carrier, the route it is configured over (its own code, or an aggregator's)
    routes: Mapping[str, str] = field(default_factory=dict)
    #: the routes that publish no way to withdraw an instruction
    unwithdrawable_routes: frozenset[str] = frozenset()

    def can_withdraw(self, record: Intercept) -> bool:
        """Whether the route that holds (or will hold) the record's instruction can withdraw it."""
        route = record.via or self.routes.get(record.carrier.value, record.carrier.value)
        return route not in self.unwithdrawable_routes


def body_fingerprint(request: CreateInterceptRequest) -> str:
    fields = request.model_dump(mode="json")
    if fields["redirect_to"] is None:
        del fields["redirect_to"]  # a later field: requests without it keep the fingerprints they had
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class InterceptService:
    def __init__(self, intercepts: InterceptStore, changes: ChangeWriter, merchants: MerchantSettingsService,
                 queues: Queues, clock: Clock, dispatch_queue: str, carriers: ConnectedCarriers,
                 stage_lookup: StageLookup = _stage_not_known) -> None:
        self._intercepts = intercepts
        self._changes = changes
        self._merchants = merchants
        self._queues = queues
        self._clock = clock
        self._dispatch_queue = dispatch_queue
        self._carriers = carriers
        self._stage_lookup = stage_lookup

    # -- create -------------------------------------------------------------------------------

    def create(self, platform: Platform, idempotency_key: str, request: CreateInterceptRequest) -> Created:
        fingerprint = body_fingerprint(request)
        merchant = self._merchants.find(platform, request.merchant_id)
        reasons = self._assess(platform, request, merchant).reasons
        if reasons:
            replay = self._replay(platform, idempotency_key, fingerprint)
            if replay:
                return replay
            raise Ineligible([reason.model_dump() for reason in reasons])

        now = self._clock.now()
        policy = policy_for(platform.policy)
        at = to_iso(now)
        record = Intercept(
            id=new_id("icp", self._clock), platform_id=platform.id, policy=platform.policy,
            **request.model_dump(exclude={"parcel_stage"}),
            status=lifecycle.INITIAL, refund_status=initial_status(request.refund_mode),
            created_at=at, updated_at=at,
            processing_deadline=to_iso(deadlines.processing_deadline(now, policy)),
            fee_quote=quote_fee(policy, merchant, request.carrier).as_dict(),
            events=[Event(at=at, source=EventSource.api, from_status=None, to_status=lifecycle.INITIAL,
                          reason=request.reason or "interception requested")],
        )
        body = record.public()
        try:
            self._changes.create(lifecycle.started(record), IdempotencyRecord(idempotency_key, fingerprint, body), now)
        except IdempotencyKeyUsed as used:
            return self._answer_replay(used.record, fingerprint)
        except ParcelAlreadyIntercepted as taken:
            raise Conflict("this parcel already has an interception", code="parcel_already_intercepted",
                           intercept_id=taken.intercept_id) from None
        except ParcelClaimedElsewhere:
            raise Conflict("this parcel has an active interception requested through another platform",
                           code="parcel_claimed_elsewhere") from None
        bind(intercept_id=record.id, carrier=record.carrier.value, merchant_id=record.merchant_id)
        metrics.intercept_created(record.carrier.value)
        self._enqueue_dispatch(record)
        return Created(body=body, replayed=False)

    def dry_run(self, platform: Platform, request: CreateInterceptRequest) -> dict:
        """What a create with this body would answer, what it would cost and how likely it is to
        succeed. Nothing is written and no interception is requested; only the carrier's tracking
        may be asked for the parcel stage."""
        merchant = self._merchants.find(platform, request.merchant_id)
        verdict = self._assess(platform, request, merchant)
        return {
            "eligible": not verdict.reasons,
            "reasons": [reason.model_dump() for reason in verdict.reasons],
            "warnings": [warning.model_dump() for warning in verdict.warnings],
            "parcel_stage": verdict.stage.value,
            "success_likelihood": success_likelihood(verdict.stage).value,
            "fee_quote": quote_fee(policy_for(platform.policy), merchant, request.carrier).as_dict(),
        }

    def _assess(self, platform: Platform, request: CreateInterceptRequest,
                merchant: MerchantSettings | None) -> Assessment:
        stage = request.parcel_stage or self._stage_lookup(request.carrier.value, request.tracking_no)
        verdict = assess(request, merchant, policy_for(platform.policy), stage)
        if request.carrier.value not in self._carriers.codes:
            verdict.reasons.append(ReasonItem(
                code="carrier_not_connected",
                message=f"the gateway has no connection to {request.carrier.value} configured"))
        elif request.redirect_to is not None and request.carrier.value not in self._carriers.redirecting:
            verdict.reasons.append(ReasonItem(
                code="redirect_not_supported",
                message=f"{request.carrier.value} only returns intercepted parcels to the sender; "
                        "send the request without redirect_to"))
        return verdict

    def _replay(self, platform: Platform, key: str, fingerprint: str) -> Created | None:
        stored = self._intercepts.idempotency(platform.id, key)
        if not stored or stored.get("expires_at", 0) < int(self._clock.now().timestamp()):
            return None
        return self._answer_replay(stored, fingerprint)

    @staticmethod
    def _answer_replay(stored: dict, fingerprint: str) -> Created:
        if stored["body_hash"] != fingerprint:
            raise Conflict("this Idempotency-Key was already used with a different body",
                           code="idempotency_key_reused")
        return Created(body=json.loads(stored["response"]), replayed=True)

    def _enqueue_dispatch(self, record: Intercept) -> None:
        """Queue the carrier call. If SQS refuses, the record stays `pending` with no dispatch
        attempt, and the requeue sweep sends it later: the request is not failed after commit."""
        try:
            self._queues.send(self._dispatch_queue, dispatch_message(record.id, "intercept", record.carrier.value))
        except Exception:  # noqa: BLE001 - any SQS failure is recovered by the requeue sweep
            log.exception("dispatch enqueue failed; the requeue sweep will retry", extra={"intercept_id": record.id})

    # -- read ---------------------------------------------------------------------------------

    def get(self, platform: Platform, intercept_id: str) -> Intercept:
        """The tenant's intercept with its history; another tenant's is not found."""
        record = self._intercepts.get_with_history(intercept_id)
        if record is None or record.platform_id != platform.id:
            raise NotFound(f"no intercept {intercept_id}")
        return record

    def list(self, query: ListQuery) -> dict:
        try:
            records, cursor = self._intercepts.list(query)
        except InvalidCursor as error:
            raise BadRequest(str(error), fields=[{"field": "cursor", "problem": str(error)}]) from None
        return {"items": [record.public(with_events=False) for record in records], "next_cursor": cursor}

    # -- cancel -------------------------------------------------------------------------------

    def cancel(self, platform: Platform, intercept_id: str, request: CancelRequest) -> Intercept:
        """Cancel at once while no carrier call was ever made; otherwise ask the carrier to withdraw
        the instruction (`cancel_requested`): the dispatch worker withdraws it, and the carrier's
        answer, or a result that arrives first, decides. A result already applied is a 409 naming
        the status; a cancel already requested answers the record as it stands."""
        record = self.get(platform, intercept_id)
        for _ in range(3):
            if record.status == InterceptStatus.cancel_requested:
                return record
            if record.status not in CANCELLABLE:
                raise Conflict(f"an intercept in status {record.status.value} cannot be cancelled",
                               code="not_cancellable", status=record.status.value)
            now = self._clock.now()
            reason = request.reason or "cancelled by merchant"
            if carrier_may_hold(record) and not self._carriers.can_withdraw(record):
                raise Conflict(f"{record.route} publishes no way to withdraw an interception once sent; the "
                               "carrier's result will come", code="carrier_cannot_withdraw",
                               status=record.status.value)
            if carrier_may_hold(record):
                accepted = {"carrier_accepted": True} if record.status == InterceptStatus.submitted else {}
                change = lifecycle.transition(record, to_status=InterceptStatus.cancel_requested, source=EventSource.api,
                                              reason=reason, now=now, changes=accepted)
            else:  # no carrier call has started: conditioned on that, so a worker's lease taken meanwhile wins
                change = lifecycle.transition(record, to_status=InterceptStatus.cancelled, source=EventSource.api,
                                              reason=reason, now=now, expected={"dispatch_attempts": 0})
            try:
                changed = self._changes.commit(change)
            except StaleState:
                record = self.get(platform, intercept_id)
                continue
            if changed.status == InterceptStatus.cancel_requested:
                self._enqueue_carrier_cancel(changed)
            return changed
        raise Conflict("the intercept changed while cancelling; read it and retry", code="concurrent_change")

    def _enqueue_carrier_cancel(self, record: Intercept) -> None:
        """The carrier may hold the instruction: have the dispatch worker withdraw it there. If the
        enqueue fails the record stays `cancel_requested` and the polling schedule learns the result."""
        try:
            self._queues.send(self._dispatch_queue, dispatch_message(record.id, "cancel", record.carrier.value))
        except Exception:  # noqa: BLE001 - the polling schedule asks the carrier about cancel_requested ones
            log.exception("carrier cancel enqueue failed", extra={"intercept_id": record.id})


def carrier_may_hold(record: Intercept) -> bool:
    """Whether the carrier has, or may have, the instruction: a carrier call was ever made for it."""
    return record.status != InterceptStatus.pending or record.dispatch_attempts > 0
