"""The contract every carrier adapter fulfils, in the gateway's own terms.

Adapters translate between these types and a carrier's wire protocol. Protocol code (building
requests, parsing answers, signing) is pure; the only I/O is the injected HTTP session.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Mapping, Protocol

from chalicelib.domain.returns import ReturnTo
from chalicelib.domain.stages import ParcelStage, TrackingScan


class CarrierResult(StrEnum):
    """What a carrier told us about an interception, mapped from its own codes."""

    accepted = "accepted"        # instruction received, parcel not yet stopped
    intercepted = "intercepted"  # parcel stopped and returning to the sender
    failed = "failed"            # carrier says it cannot be stopped (too late, signed, ...)
    returned = "returned"        # parcel is back with the sender


@dataclass(frozen=True)
class Address:
    """A delivery address for a redirect (re-address instead of return to sender)."""

    name: str
    phone: str
    province: str
    city: str
    district: str
    street: str

    def one_line(self) -> str:
        return f"{self.province}{self.city}{self.district}{self.street}"


@dataclass(frozen=True)
class InterceptOrder:
    """An instruction to stop one parcel: back to the sender (or its sending outlet, `return_to`),
    or on to `redirect_to` when set.

    Adapters whose carrier cannot redirect refuse an order with `redirect_to` (ValueError) rather
    than silently returning the parcel; the gateway refuses a return to the outlet before it is
    sent where the route cannot make one (`can_return_to_outlet`).
    """

    intercept_id: str   # our id; carriers echo it back in callbacks
    tracking_no: str
    reason: str
    callback_url: str
    carrier_ref: str | None = None   # the carrier's id for an earlier instruction (cancel, query)
    redirect_to: Address | None = None
    return_to: ReturnTo = ReturnTo.sender
    #: the merchant's own account with the carrier (its route's field names), where the route takes
    #: one; None: the account in the route's settings
    account: Mapping[str, str] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SubmitOutcome:
    """A carrier's synchronous answer to an interception request."""

    result: CarrierResult          # accepted, or failed when refused outright
    carrier_ref: str | None = None
    reason_code: str | None = None
    message: str | None = None
    #: the fee (fen) the carrier says it charges for this interception, where its answer says one (SF `amount`)
    fee: int | None = None


@dataclass(frozen=True)
class CancelOutcome:
    """A carrier's answer to withdrawing an interception instruction."""

    cancelled: bool                # False: the carrier refused (already acted on, unknown, ...)
    reason_code: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class CallbackEvent:
    """A verified, parsed carrier callback.

    `intercept_id` is empty for a push that does not name our interception (SF's route push): the
    gateway finds it by the parcel (carrier and tracking number). `result` is None for a push that
    decides nothing (a route scan before the result): acknowledged, nothing applied.
    """

    intercept_id: str
    tracking_no: str
    result: CarrierResult | None
    event_id: str                  # the carrier's unique id for this push, used to drop duplicates
    occurred_at: datetime
    reason_code: str | None = None
    message: str | None = None
    #: the tracking scans the push carries (SF's route push), oldest first
    scans: tuple[TrackingScan, ...] = ()


@dataclass(frozen=True)
class Tracking:
    """A carrier's tracking answer: the parcel's current stage and the scans it listed (none where the
    protocol's scans carry no time to order them by)."""

    stage: ParcelStage
    scans: tuple[TrackingScan, ...] = ()


@dataclass(frozen=True)
class HttpReply:
    """An HTTP answer the gateway sends back to a carrier."""

    status: int
    body: str
    headers: Mapping[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})


class CarrierUnavailable(Exception):
    """A transient failure: 5xx, timeout, connection error or a reply we cannot parse. Retry."""


class CarrierAccountFault(CarrierUnavailable):
    """The carrier refused the call itself, not the parcel: our account, its permissions, the IP
    allow-list, the signature or the clock. Retrying the same call does not help; an operator must
    act, so the dispatch worker sets the intercept `needs_attention` at once, naming `code`.

    A subclass of CarrierUnavailable: a poll or tracking query that meets one simply gets no answer.
    """

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class InvalidCallback(Exception):
    """A callback that fails verification (bad signature, stale, malformed). Never applied."""


class CarrierAdapter(Protocol):
    code: str
    #: the protocol it speaks: the carrier's own code, or the aggregator's it goes through
    route: str
    can_redirect: bool   # takes an order with `redirect_to` (else only back to the sender)
    can_return_to_outlet: bool   # takes an order with `return_to` outlet (else only to the sender's address)
    can_withdraw: bool   # the route publishes a way to withdraw an instruction
    can_poll: bool       # the route publishes an interception status query

    def submit_intercept(self, order: InterceptOrder) -> SubmitOutcome:
        """Ask the carrier to stop the parcel. Raises CarrierUnavailable on transient failure."""

    def cancel_intercept(self, order: InterceptOrder) -> CancelOutcome:
        """Withdraw an earlier instruction. Raises CarrierUnavailable on transient failure."""

    def query_intercept(self, order: InterceptOrder) -> SubmitOutcome:
        """Where the carrier is with an instruction: `accepted` while it has no result yet.

        The polling fallback uses this when a callback is overdue. Raises CarrierUnavailable.
        """

    def query_tracking(self, tracking_no: str) -> Tracking:
        """The parcel's current stage and scans from one tracking query. Raises CarrierUnavailable."""

    def parse_callback(self, headers: Mapping[str, str], body: bytes, now: datetime) -> CallbackEvent:
        """Verify and parse a callback. Raises InvalidCallback."""

    def callback_ack(self, accepted: bool, message: str = "") -> HttpReply:
        """The acknowledgement body the carrier expects for a callback."""
