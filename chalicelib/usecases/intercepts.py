"""Interception use cases: request one (create, or a dry run), read, list, and cancel."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping

from chalicelib.carriers.base import Tracking
from chalicelib.clock import Clock, new_id, to_iso
from chalicelib.domain import deadlines, lifecycle
from chalicelib.domain.lifecycle import CANCELLABLE
from chalicelib.domain.models import (
    AfterSale,
    AfterSaleEvent,
    AfterSaleParcel,
    AfterSaleType,
    EventSource,
    Intercept,
    InterceptStatus,
    MerchantSettings,
    Platform,
    ReasonItem,
    RefundStatus,
)
from chalicelib.domain.refund_track import initial_status
from chalicelib.domain.returns import ReturnTo
from chalicelib.domain.stages import ParcelStage, TrackingScan, in_order
from chalicelib.errors import BadRequest, Conflict, Ineligible, NotFound
from chalicelib.observability import bind, metrics
from chalicelib.queues import Queues, dispatch_message
from chalicelib.rules import Assessment, assess, policy_for
from chalicelib.rules.likelihood import success_likelihood
from chalicelib.rules.policies import PlatformPolicy
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
from chalicelib.store.intercepts import AfterSaleExists, InterceptStore, TargetClaimed
from chalicelib.usecases.change_writer import ChangeWriter
from chalicelib.usecases.merchant_settings import MerchantSettingsService

if TYPE_CHECKING:  # request bodies: only the API loads pydantic (chalicelib/domain/records.py)
    from chalicelib.domain.requests import CancelRequest, CreateInterceptRequest
    from chalicelib.store.tracking import TrackingStore

log = logging.getLogger(__name__)

#: Asks a carrier where a parcel is: (carrier code, tracking number) -> its stage and scans; stage
#: `unknown` when it cannot tell.
TrackingLookup = Callable[[str, str], Tracking]


def _not_tracked(carrier_code: str, tracking_no: str) -> Tracking:
    return Tracking(ParcelStage.unknown)


def _quote(policy: PlatformPolicy, merchant: MerchantSettings | None, request: CreateInterceptRequest) -> dict:
    """The fee quote of the request's one parcel, as the dry run and the create both give it."""
    return quote_fee(policy, merchant, request.carrier, redirect=request.redirect_to is not None).as_dict()


@dataclass(frozen=True)
class Created:
    body: dict
    replayed: bool


@dataclass(frozen=True)
class ConnectedCarriers:
    """What the gateway can do with each carrier it has a connection to."""

    codes: frozenset[str]
    redirecting: frozenset[str] = frozenset()
    #: the carriers whose route can return a parcel to the sending outlet
    returning_to_outlet: frozenset[str] = frozenset()
    #: per carrier, the route it is configured over (its own code, or an aggregator's)
    routes: Mapping[str, str] = field(default_factory=dict)
    #: the routes that publish no way to withdraw an instruction
    unwithdrawable_routes: frozenset[str] = frozenset()
    #: per carrier whose route takes the merchant's own account (and the platform-level
    #: CARRIER_CONFIG holds none for it): the declared account (`MerchantAccount`)
    merchant_accounts: Mapping[str, Any] = field(default_factory=dict)
    #: the same for carriers whose platform-level account serves merchants without one of their own
    served_accounts: Mapping[str, Any] = field(default_factory=dict)

    def missing_account_fields(self, carrier: str, merchant: MerchantSettings | None) -> list[str]:
        """The required account fields the merchant's settings leave unset for `carrier`: the
        non-secret ones must be in `fields`, the secret ones are taken as set once `secret_ref` is
        (their values are read only by the dispatch worker). A merchant's own account is used even
        where a platform-level one serves, so it must be whole too."""
        account = merchant.carrier_accounts.get(carrier) if merchant else None
        spec = self.merchant_accounts.get(carrier) or (self.served_accounts.get(carrier) if account else None)
        if spec is None:
            return []
        given = set(account.fields) if account else set()
        if account and account.secret_ref:
            given |= set(spec.secret)
        return [name for name in spec.required if name not in given]

    def can_withdraw(self, record: Intercept) -> bool:
        """Whether the route that holds (or will hold) the record's instruction can withdraw it."""
        route = record.via or self.routes.get(record.carrier.value, record.carrier.value)
        return route not in self.unwithdrawable_routes


def body_fingerprint(request: CreateInterceptRequest) -> str:
    fields = request.model_dump(mode="json")
    for later in ("redirect_to", "targets", "after_sale_type", "carrier", "tracking_no"):
        if fields[later] is None:
            del fields[later]  # later fields: requests without them keep the fingerprints they had
    if fields["return_to"] == ReturnTo.sender:
        del fields["return_to"]
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class InterceptService:
    def __init__(self, intercepts: InterceptStore, changes: ChangeWriter, merchants: MerchantSettingsService,
                 queues: Queues, clock: Clock, dispatch_queue: str, carriers: ConnectedCarriers,
                 tracking_lookup: TrackingLookup = _not_tracked, after_sales=None,
                 tracking: TrackingStore | None = None) -> None:
        self._intercepts = intercepts
        self._after_sales = after_sales
        self._changes = changes
        self._merchants = merchants
        self._queues = queues
        self._clock = clock
        self._dispatch_queue = dispatch_queue
        self._carriers = carriers
        self._tracking_lookup = tracking_lookup
        self._tracking = tracking

    # -- create -------------------------------------------------------------------------------

    def create(self, platform: Platform, idempotency_key: str, request: CreateInterceptRequest,
               merchant: MerchantSettings | None = None) -> Created:
        """`merchant`: the merchant's settings when the caller read them in this request (strongly
        consistent, as here); otherwise they are read here."""
        fingerprint = body_fingerprint(request)
        merchant = merchant or self._merchants.find(platform, request.merchant_id)
        if request.targets is not None:
            return self._create_after_sale(platform, idempotency_key, fingerprint, request, merchant)
        tracking = self._track(request)
        reasons = self._assess(platform, request, merchant, tracking).reasons
        if reasons:
            replay = self._replay(platform, idempotency_key, fingerprint)
            if replay:
                return replay
            raise Ineligible([reason.model_dump() for reason in reasons])
        return self._create_one(platform, idempotency_key, fingerprint, request, merchant,
                                answer=lambda record: record.public(), scans=tracking.scans)

    def _create_one(self, platform: Platform, idempotency_key: str, fingerprint: str,
                    request: CreateInterceptRequest, merchant: MerchantSettings | None,
                    answer: Callable[[Intercept], dict], scans: tuple[TrackingScan, ...] = ()) -> Created:

        now = self._clock.now()
        policy = policy_for(platform.policy)
        at = to_iso(now)
        record = Intercept(
            id=new_id("icp", self._clock), platform_id=platform.id, policy=platform.policy,
            **request.record_fields(),
            status=lifecycle.INITIAL, refund_status=initial_status(request.refund_mode),
            created_at=at, updated_at=at,
            processing_deadline=to_iso(deadlines.processing_deadline(now, policy)),
            fee_quote=_quote(policy, merchant, request),
            events=[lifecycle.created_event(at, request.reason)],
            tracking=in_order(scans),
        )
        body = answer(record)
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
        self._keep_tracking(record.id, scans)
        return Created(body=body, replayed=False)

    def dry_run(self, platform: Platform, request: CreateInterceptRequest) -> dict:
        """What a create with this body would answer, what it would cost and how likely it is to
        succeed. Nothing is written and no interception is requested; only the carrier's tracking
        may be asked for the parcel stage. With `targets`, the create's shape: the after-sale and
        one verdict per target."""
        merchant = self._merchants.find(platform, request.merchant_id)
        if request.targets is not None:
            verdicts = self._verdicts(platform, request, merchant)
            now = self._clock.now()
            sale = self._new_after_sale(platform, request, now, [
                AfterSaleParcel(carrier=carrier, tracking_no=tracking_no, status="pending" if verdict.eligible
                                else "refused", result_reason=verdict.first_reason)
                for (carrier, tracking_no), verdict in zip(request.parcels(), verdicts)])
            return {"after_sale": _after_sale_block(sale),
                    "intercepts": [verdict.entry(None) for verdict in verdicts]}
        return self._verdict(platform, request, merchant).eligibility()

    # -- after-sales of several parcels -----------------------------------------------------------

    def _verdicts(self, platform: Platform, request: CreateInterceptRequest,
                  merchant: MerchantSettings | None) -> list[TargetVerdict]:
        return [self._verdict(platform, request.for_parcel(carrier, tracking_no), merchant)
                for carrier, tracking_no in request.parcels()]

    def _verdict(self, platform: Platform, request: CreateInterceptRequest,
                 merchant: MerchantSettings | None) -> TargetVerdict:
        """The verdict on the request's one parcel (`carrier` + `tracking_no`)."""
        tracking = self._track(request)
        verdict = self._assess(platform, request, merchant, tracking)
        return TargetVerdict(
            carrier=request.carrier.value, tracking_no=request.tracking_no,
            reasons=[reason.model_dump() for reason in verdict.reasons],
            warnings=[warning.model_dump() for warning in verdict.warnings], parcel_stage=verdict.stage.value,
            success_likelihood=success_likelihood(verdict.stage).value,
            fee_quote=_quote(policy_for(platform.policy), merchant, request), scans=tracking.scans)

    def _new_after_sale(self, platform: Platform, request: CreateInterceptRequest, now, parcels) -> AfterSale:
        at = to_iso(now)
        sent = sum(1 for parcel in parcels if parcel.status != "refused")
        return AfterSale(
            id=request.after_sale_id, platform_id=platform.id, policy=platform.policy,
            merchant_id=request.merchant_id, order_id=request.order_id, refund_amount=request.refund_amount,
            **({"after_sale_type": request.after_sale_type} if request.after_sale_type else {}),
            refund_mode=request.refund_mode, refund_status=initial_status(request.refund_mode),
            created_at=at, updated_at=at,
            processing_deadline=to_iso(deadlines.processing_deadline(now, policy_for(platform.policy))),
            parcels=parcels,
            events=[AfterSaleEvent(at=at, source=EventSource.api,
                                   reason=f"after-sale of {len(parcels)} parcels: {sent} sent, "
                                          f"{len(parcels) - sent} refused")])

    def _create_after_sale(self, platform: Platform, idempotency_key: str, fingerprint: str,
                           request: CreateInterceptRequest, merchant: MerchantSettings | None) -> Created:
        """One request, one idempotency record: every target judged on its own; the refused are not
        sent, the rest are created (with the after-sale, when there are several targets) in one
        transaction and dispatched. No target eligible: 422 with every target's reasons."""
        verdicts = self._verdicts(platform, request, merchant)
        replay_checked = False
        while True:
            if not any(verdict.eligible for verdict in verdicts):
                replay = None if replay_checked else self._replay(platform, idempotency_key, fingerprint)
                if replay:
                    return replay
                raise Ineligible(_unique_reasons(verdicts), intercepts=[verdict.entry(None) for verdict in verdicts])
            if len(verdicts) == 1:
                verdict = verdicts[0]
                return self._create_one(
                    platform, idempotency_key, fingerprint, request.for_parcel(*request.parcels()[0]), merchant,
                    answer=lambda record: {"after_sale": after_sale_of_record(record),
                                           "intercepts": [verdict.entry(record.public(with_events=False))]},
                    scans=verdict.scans)
            now = self._clock.now()
            at = to_iso(now)
            policy = policy_for(platform.policy)
            records: dict[int, Intercept] = {}
            for position, ((carrier, tracking_no), verdict) in enumerate(zip(request.parcels(), verdicts)):
                if not verdict.eligible:
                    continue
                one = request.for_parcel(carrier, tracking_no)
                records[position] = Intercept(
                    id=new_id("icp", self._clock), platform_id=platform.id, policy=platform.policy,
                    **one.record_fields(),
                    status=lifecycle.INITIAL, refund_status=RefundStatus.with_after_sale,
                    created_at=at, updated_at=at,
                    processing_deadline=to_iso(deadlines.processing_deadline(now, policy)),
                    fee_quote=verdict.fee_quote,
                    events=[lifecycle.created_event(at, request.reason)])
            parcels = [AfterSaleParcel(carrier=carrier, tracking_no=tracking_no,
                                       intercept_id=records[position].id if position in records else None,
                                       status="pending" if position in records else "refused",
                                       result_reason=verdicts[position].first_reason)
                       for position, (carrier, tracking_no) in enumerate(request.parcels())]
            sale = self._new_after_sale(platform, request, now, parcels)
            body = {"after_sale": _after_sale_block(sale),
                    "intercepts": [verdict.entry(records[position].public(with_events=False) if position in records
                                                 else None) for position, verdict in enumerate(verdicts)]}
            ordered = sorted(records.items())
            try:
                self._changes.create_after_sale(lifecycle.after_sale_started(sale),
                                                [lifecycle.started(record) for _, record in ordered],
                                                IdempotencyRecord(idempotency_key, fingerprint, body), now)
            except IdempotencyKeyUsed as used:
                return self._answer_replay(used.record, fingerprint)
            except AfterSaleExists:
                raise Conflict(f"after-sale {request.after_sale_id} already has its interceptions",
                               code="after_sale_exists", after_sale_id=request.after_sale_id) from None
            except TargetClaimed as taken:
                position = ordered[taken.position][0]
                mine = taken.platform_id == platform.id
                verdicts[position] = verdicts[position].refused(
                    "parcel_already_intercepted" if mine else "parcel_claimed_elsewhere",
                    "this parcel already has an interception" if mine else
                    "this parcel has an active interception requested through another platform")
                replay_checked = True
                continue
            for _, record in ordered:
                metrics.intercept_created(record.carrier.value)
            bind(after_sale_id=sale.id, merchant_id=sale.merchant_id)
            _send_dispatches(self._queues, self._dispatch_queue, ordered)
            for position, record in ordered:
                self._keep_tracking(record.id, verdicts[position].scans)
            return Created(body=body, replayed=False)

    def after_sale(self, platform: Platform, after_sale_id: str) -> dict:
        """An after-sale with its parcels: the after-sale item of several parcels, or the record of
        an after-sale of one (found by the listing's after-sale filter)."""
        sale = self._after_sales.get(platform.id, after_sale_id) if self._after_sales else None
        if sale is not None:
            records = {record.id: record for record in self._intercepts.many(
                [parcel.intercept_id for parcel in sale.parcels if parcel.intercept_id])}
            return {**sale.public(), "parcels": [
                {**parcel.model_dump(mode="json"),
                 "intercept": records[parcel.intercept_id].public(with_events=False)
                 if parcel.intercept_id in records else None} for parcel in sale.parcels]}
        found, _ = self._intercepts.list(ListQuery(platform_id=platform.id, after_sale_id=after_sale_id, limit=1))
        if not found:
            raise NotFound(f"no after-sale {after_sale_id}")
        record = found[0]
        return {**after_sale_of_record(record), "parcels": [
            {"carrier": record.carrier.value, "tracking_no": record.tracking_no, "intercept_id": record.id,
             "status": record.status.value, "result_reason": record.result_reason,
             "intercept": record.public(with_events=False)}]}

    def _track(self, request: CreateInterceptRequest) -> Tracking:
        """The parcel's stage (the one the request states, or the carrier's tracking) and its scans."""
        if request.parcel_stage:
            return Tracking(request.parcel_stage)
        return self._tracking_lookup(request.carrier.value, request.tracking_no)

    def _keep_tracking(self, intercept_id: str, scans: tuple[TrackingScan, ...]) -> None:
        """Keep the scans the create's tracking query answered, after the create committed. Not kept
        (a throttled table) is logged and not retried: the parcel's next push or poll brings them again."""
        if not scans or self._tracking is None:
            return
        try:
            self._tracking.add(intercept_id, scans, new_record=True)
        except Exception:  # noqa: BLE001 - the interception stands; its history is filled in later
            log.exception("tracking scans not kept", extra={"intercept_id": intercept_id})

    def _assess(self, platform: Platform, request: CreateInterceptRequest,
                merchant: MerchantSettings | None, tracking: Tracking) -> Assessment:
        verdict = assess(request, merchant, policy_for(platform.policy), tracking.stage)
        if request.carrier.value not in self._carriers.codes:
            verdict.reasons.append(ReasonItem(
                code="carrier_not_connected",
                message=f"the gateway has no connection to {request.carrier.value} configured"))
        elif missing := self._carriers.missing_account_fields(request.carrier.value, merchant):
            verdict.reasons.append(ReasonItem(
                code="carrier_account_missing",
                message=f"the merchant's settings hold no {request.carrier.value} account for its route "
                        f"({self._carriers.routes.get(request.carrier.value)}): {', '.join(missing)} not set"))
        elif request.redirect_to is not None and request.carrier.value not in self._carriers.redirecting:
            verdict.reasons.append(ReasonItem(
                code="redirect_not_supported",
                message=f"{request.carrier.value} only returns intercepted parcels to the sender; "
                        "send the request without redirect_to"))
        elif request.return_to == ReturnTo.outlet and request.carrier.value not in self._carriers.returning_to_outlet:
            route = self._carriers.routes.get(request.carrier.value)
            verdict.reasons.append(ReasonItem(
                code="return_to_outlet_not_supported",
                message=f"{request.carrier.value}, as connected ({route}), returns intercepted parcels to the sender "
                        "only; send the request without return_to outlet"))
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


@dataclass(frozen=True)
class TargetVerdict:
    """One target's verdict: the same fields in a dry run and in a create."""

    carrier: str
    tracking_no: str
    reasons: list[dict]
    warnings: list[dict]
    parcel_stage: str
    success_likelihood: str
    fee_quote: dict
    #: the scans the tracking query answered (kept with the interception; not part of the answer)
    scans: tuple[TrackingScan, ...] = ()

    @property
    def eligible(self) -> bool:
        return not self.reasons

    @property
    def first_reason(self) -> str | None:
        return self.reasons[0]["code"] if self.reasons else None

    def refused(self, code: str, message: str) -> TargetVerdict:
        return dataclasses.replace(self, reasons=[*self.reasons, {"code": code, "message": message}])

    def eligibility(self) -> dict:
        """The dry run's answer for one parcel."""
        return {"eligible": self.eligible, "reasons": self.reasons, "warnings": self.warnings,
                "parcel_stage": self.parcel_stage, "success_likelihood": self.success_likelihood,
                "fee_quote": self.fee_quote}

    def entry(self, intercept: dict | None) -> dict:
        """A target's entry in an after-sale's answer: its parcel, its verdict, its interception."""
        return {"carrier": self.carrier, "tracking_no": self.tracking_no, **self.eligibility(), "intercept": intercept}


def _unique_reasons(verdicts: list[TargetVerdict]) -> list[dict]:
    seen: dict[str, dict] = {}
    for verdict in verdicts:
        for reason in verdict.reasons:
            seen.setdefault(reason["code"], reason)
    return list(seen.values())


def _send_dispatches(queues: Queues, queue: str, ordered) -> None:
    """Queue the carrier calls of an after-sale's parcels; a refusal is recovered by the requeue sweep."""
    try:
        queues.send_all(queue, [dispatch_message(record.id, "intercept", record.carrier.value) for _, record in ordered])
    except Exception:  # noqa: BLE001 - the records stay pending without an attempt: the requeue sweep sends them
        log.exception("dispatch enqueue failed; the requeue sweep will retry")


def _after_sale_block(sale: AfterSale) -> dict:
    """The `after_sale` block of a create's (or dry run's) answer."""
    return {"id": sale.id, "after_sale_type": sale.after_sale_type.value, "refund_status": sale.refund_status.value,
            "deadlines": {"processing": sale.processing_deadline}, **sale.counts()}


def after_sale_of_record(record: Intercept) -> dict:
    """An after-sale of one parcel, which its record is: the same block as an after-sale of several."""
    status = record.status.value
    success = int(status in ("intercepted", "returned"))
    failed = int(status == "failed")
    cancelled = int(status == "cancelled")
    kind = record.after_sale_type or AfterSaleType.refund_only
    return {"id": record.after_sale_id, "after_sale_type": kind.value, "refund_status": record.refund_status.value,
            "deadlines": {"processing": record.processing_deadline}, "success_count": success,
            "failed_count": failed, "cancelled_count": cancelled, "pending_count": 1 - success - failed - cancelled}


def carrier_may_hold(record: Intercept) -> bool:
    """Whether the carrier has, or may have, the instruction: a carrier call was ever made for it."""
    return record.status != InterceptStatus.pending or record.dispatch_attempts > 0
