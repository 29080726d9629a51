"""Interception use cases: create, read, list, cancel, and apply what a carrier reports."""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Callable, Mapping

from chalicelib.api.bodies import parse_model
from chalicelib.carriers.base import CarrierResult
from chalicelib.clock import Clock, from_iso, new_id, to_iso
from chalicelib.domain import refund_track as refunds
from chalicelib.domain.lifecycle import CANCELLABLE, can_move
from chalicelib.domain.models import (
    Carrier,
    Event,
    EventSource,
    Intercept,
    InterceptStatus,
    MerchantSettings,
    Platform,
    ReasonItem,
    RefundStatus,
)
from chalicelib.domain.requests import CancelRequest, CreateInterceptRequest
from chalicelib.domain.stages import ParcelStage
from chalicelib.errors import BadRequest, Conflict, Ineligible, NotFound
from chalicelib.observability import bind, metrics
from chalicelib.queues import Queues, dispatch_message
from chalicelib.rules import Assessment, assess, policy_for
from chalicelib.rules.likelihood import success_likelihood
from chalicelib.rules.pricing import fee_on_result, quote_fee
from chalicelib.store import (
    IdempotencyKeyUsed,
    InvalidCursor,
    ListQuery,
    ParcelAlreadyIntercepted,
    StaleState,
    Store,
)

log = logging.getLogger(__name__)

MAX_IDEMPOTENCY_KEY = 255

#: Asks a carrier where a parcel is: (carrier code, tracking number) -> stage; `unknown` when it cannot tell.
StageLookup = Callable[[str, str], ParcelStage]


def _stage_not_known(carrier_code: str, tracking_no: str) -> ParcelStage:
    return ParcelStage.unknown


#: What each carrier result makes of an interception.
RESULT_STATUS = {
    CarrierResult.accepted: InterceptStatus.submitted,
    CarrierResult.intercepted: InterceptStatus.intercepted,
    CarrierResult.failed: InterceptStatus.failed,
    CarrierResult.returned: InterceptStatus.returned,
}


class Applied(StrEnum):
    applied = "applied"
    unchanged = "unchanged"
    unknown = "unknown"


@dataclass(frozen=True)
class Created:
    body: dict
    replayed: bool


def body_fingerprint(request: CreateInterceptRequest) -> str:
    fields = request.model_dump(mode="json")
    if fields["redirect_to"] is None:
        del fields["redirect_to"]  # a later field: requests without it keep the fingerprints they had
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class InterceptService:
    def __init__(self, store: Store, queues: Queues, clock: Clock, dispatch_queue: str,
                 connected_carriers: frozenset[str], stage_lookup: StageLookup = _stage_not_known,
                 redirect_carriers: frozenset[str] = frozenset()) -> None:
        self._store = store
        self._queues = queues
        self._clock = clock
        self._dispatch_queue = dispatch_queue
        self._connected = connected_carriers
        self._stage_lookup = stage_lookup
        self._redirect_carriers = redirect_carriers

    # -- create -------------------------------------------------------------------------------

    def create(self, platform: Platform, idempotency_key: str | None, raw_body: bytes | str | None) -> Created:
        key = _valid_idempotency_key(idempotency_key)
        request = parse_model(CreateInterceptRequest, raw_body)
        fingerprint = body_fingerprint(request)
        merchant = self._store.get_merchant(platform.id, request.merchant_id)
        reasons = self._assess(platform, request, merchant).reasons
        if reasons:
            replay = self._replay(platform, key, fingerprint)
            if replay:
                return replay
            raise Ineligible([reason.model_dump() for reason in reasons])

        now = self._clock.now()
        policy = policy_for(platform.policy)
        at = to_iso(now)
        record = Intercept(
            id=new_id("icp", self._clock), platform_id=platform.id, policy=platform.policy,
            **request.model_dump(exclude={"parcel_stage"}),
            status=InterceptStatus.pending, refund_status=refunds.initial_status(request.refund_mode),
            created_at=at, updated_at=at,
            processing_deadline=to_iso(now + timedelta(days=policy.processing_window_days)),
            fee_quote=quote_fee(policy, merchant, request.carrier).as_dict(),
            events=[Event(at=at, source=EventSource.api, from_status=None, to_status=InterceptStatus.pending,
                          reason=request.reason or "interception requested")],
        )
        body = record.public()
        try:
            self._store.create_intercept(record, key, fingerprint, body, now)
        except IdempotencyKeyUsed as used:
            return self._answer_replay(used.record, fingerprint)
        except ParcelAlreadyIntercepted as taken:
            raise Conflict("this parcel already has an interception", code="parcel_already_intercepted",
                           intercept_id=taken.intercept_id) from None
        bind(intercept_id=record.id, carrier=record.carrier.value, merchant_id=record.merchant_id)
        metrics.intercept_created(record.carrier.value)
        self._enqueue_dispatch(record)
        return Created(body=body, replayed=False)

    def dry_run(self, platform: Platform, raw_body: bytes | str | None) -> dict:
        """What a create with this body would answer, what it would cost and how likely it is to
        succeed. Nothing is written and no interception is requested; only the carrier's tracking
        may be asked for the parcel stage."""
        request = parse_model(CreateInterceptRequest, raw_body)
        merchant = self._store.get_merchant(platform.id, request.merchant_id)
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
        if request.carrier.value not in self._connected:
            verdict.reasons.append(ReasonItem(
                code="carrier_not_connected",
                message=f"the gateway has no connection to {request.carrier.value} configured"))
        elif request.redirect_to is not None and request.carrier.value not in self._redirect_carriers:
            verdict.reasons.append(ReasonItem(
                code="redirect_not_supported",
                message=f"{request.carrier.value} only returns intercepted parcels to the sender; "
                        "send the request without redirect_to"))
        return verdict

    def _replay(self, platform: Platform, key: str, fingerprint: str) -> Created | None:
        stored = self._store.get_idempotency(platform.id, key)
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
        record = self._store.get_intercept(intercept_id, with_events=True)
        if record is None or record.platform_id != platform.id:
            raise NotFound(f"no intercept {intercept_id}")
        return record

    def list(self, platform: Platform, params: Mapping[str, str] | None) -> dict:
        query = _list_query(platform, dict(params or {}))
        try:
            records, cursor = self._store.list_intercepts(query)
        except InvalidCursor as error:
            raise BadRequest(str(error), fields=[{"field": "cursor", "problem": str(error)}]) from None
        return {"items": [record.public(with_events=False) for record in records], "next_cursor": cursor}

    # -- cancel -------------------------------------------------------------------------------

    def cancel(self, platform: Platform, intercept_id: str, raw_body: bytes | str | None) -> Intercept:
        request = parse_model(CancelRequest, raw_body, allow_empty=True)
        record = self.get(platform, intercept_id)
        for _ in range(2):
            if record.status not in CANCELLABLE:
                raise Conflict(f"an intercept in status {record.status.value} cannot be cancelled",
                               code="not_cancellable", status=record.status.value)
            try:
                cancelled = self._store.transition(record, InterceptStatus.cancelled, source=EventSource.api,
                                                   reason=request.reason or "cancelled by merchant",
                                                   now=self._clock.now())
            except StaleState:
                record = self.get(platform, intercept_id)
                continue
            if record.status == InterceptStatus.submitted or record.dispatch_attempts:
                self._enqueue_carrier_cancel(record)
            return cancelled
        raise Conflict("the intercept changed while cancelling; read it and retry", code="concurrent_change")

    def _enqueue_carrier_cancel(self, record: Intercept) -> None:
        """The carrier may hold the instruction: have the dispatch worker withdraw it there."""
        try:
            self._queues.send(self._dispatch_queue, dispatch_message(record.id, "cancel", record.carrier.value))
        except Exception:  # noqa: BLE001 - the cancel stands for us; the carrier's result is then ignored
            log.exception("carrier cancel enqueue failed", extra={"intercept_id": record.id})

    # -- carrier results ----------------------------------------------------------------------

    def apply_carrier_result(self, intercept_id: str, result: CarrierResult, *, source: EventSource, reason: str = "",
                             changes: dict | None = None, receipt: dict | None = None,
                             tracking_no: str | None = None, carrier_accepted: bool = True,
                             last_read: Intercept | None = None) -> Applied:
        """Apply a carrier result if the lifecycle allows it.

        A result the record already has, or one the lifecycle has moved past (a late `accepted`
        after `intercepted`), changes nothing. `tracking_no`, when given, must match the record.
        `carrier_accepted` is False for a refusal at submission: the carrier never took the
        instruction, so no per-attempt fee is due. `last_read` is the record as the caller last
        read it, which saves a read: the write is conditioned on its status, so a stale copy only
        costs a retry that reads afresh.
        """
        target = RESULT_STATUS[result]
        for _ in range(3):
            record = last_read if last_read is not None else self._store.get_intercept(intercept_id)
            last_read = None
            if record is None or (tracking_no is not None and record.tracking_no != tracking_no):
                return Applied.unknown
            if record.status == target or not can_move(record.status, target):
                return Applied.unchanged
            now = self._clock.now()
            try:
                self._store.transition(record, target, source=source, reason=reason, now=now,
                                       changes={**_result_changes(record, target, to_iso(now), carrier_accepted),
                                                **(changes or {})},
                                       receipt=receipt)
                _count_result(record.carrier.value, target)
                return Applied.applied
            except StaleState:
                continue
        return Applied.unchanged


def _count_result(carrier: str, status: InterceptStatus) -> None:
    if status == InterceptStatus.intercepted:
        metrics.intercept_succeeded(carrier)
    elif status == InterceptStatus.failed:
        metrics.intercept_failed(carrier)


def _result_changes(record: Intercept, target: InterceptStatus, at: str, carrier_accepted: bool) -> dict:
    if target == InterceptStatus.returned:
        return {"returned_at": at}
    changes: dict[str, Any] = {}
    if target in (InterceptStatus.intercepted, InterceptStatus.failed):
        changes["result_at"] = at
        fee = fee_on_result(record.fee_quote, target.value, carrier_accepted)
        if fee and record.fee is None:
            changes.update({"fee": fee, "charged_at": at})
    if target == InterceptStatus.intercepted and record.refund_status == RefundStatus.awaiting_result \
            and policy_for(record.policy).auto_refund_on_success:
        changes["refund_status"] = RefundStatus.refund_auto.value
    return changes


def _valid_idempotency_key(value: str | None) -> str:
    key = (value or "").strip()
    if not key:
        raise BadRequest("the Idempotency-Key header is required",
                         fields=[{"field": "Idempotency-Key", "problem": "missing"}])
    if len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise BadRequest("the Idempotency-Key header is invalid",
                         fields=[{"field": "Idempotency-Key",
                                  "problem": f"must be 1-{MAX_IDEMPOTENCY_KEY} printable characters"}])
    return key


_LIST_PARAMS = {"merchant_id", "status", "carrier", "created_from", "created_to", "limit", "cursor"}


def _list_query(platform: Platform, params: dict[str, str]) -> ListQuery:
    problems = [{"field": name, "problem": "unknown query parameter"} for name in params if name not in _LIST_PARAMS]

    def choice(name: str, enum: type) -> Any:
        if name not in params:
            return None
        try:
            return enum(params[name])
        except ValueError:
            problems.append({"field": name, "problem": f"must be one of {', '.join(item.value for item in enum)}"})
            return None

    def moment(name: str) -> str | None:
        if name not in params:
            return None
        try:
            parsed: datetime = from_iso(params[name])
        except ValueError:
            problems.append({"field": name, "problem": "must be an ISO-8601 date-time"})
            return None
        if parsed.tzinfo is None:
            problems.append({"field": name, "problem": "must include a UTC offset, e.g. 2026-11-23T00:00:00Z"})
            return None
        return to_iso(parsed)

    status, carrier = choice("status", InterceptStatus), choice("carrier", Carrier)
    created_from, created_to = moment("created_from"), moment("created_to")
    limit = 50
    if "limit" in params:
        if params["limit"].isdigit() and 1 <= int(params["limit"]) <= 200:
            limit = int(params["limit"])
        else:
            problems.append({"field": "limit", "problem": "must be an integer from 1 to 200"})
    merchant_id = params.get("merchant_id")
    if merchant_id is not None and not (0 < len(merchant_id) <= 64):
        problems.append({"field": "merchant_id", "problem": "must be 1-64 characters"})
    if problems:
        raise BadRequest("query parameters are invalid", fields=problems)
    return ListQuery(platform_id=platform.id, merchant_id=merchant_id, status=status,
                     carrier=carrier.value if carrier else None, created_from=created_from,
                     created_to=created_to, limit=limit, cursor=params.get("cursor") or None)
