"""What the simulator core and each simulated carrier exchange.

The core owns faults, the per-parcel scenario, the state of each instruction and callback
delivery; a carrier module owns only its wire format (request checks, replies, callback bodies and
signatures).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Mapping, Protocol

from chalicelib.domain.stages import ParcelStage


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})


class Operation(Enum):
    intercept = "intercept"
    cancel = "cancel"
    query = "query"   # where an interception instruction stands
    track = "track"   # the parcel's tracking stage


@dataclass(frozen=True)
class InterceptRequest:
    """A request that passed the carrier's checks (signature, account, fields)."""

    intercept_id: str
    tracking_no: str
    operation: Operation = Operation.intercept
    callback_url: str | None = None   # where the result goes, when the protocol sends it per request


@dataclass(frozen=True)
class Callback:
    """A signed result push, ready to POST to the gateway's callback route for the carrier."""

    event_id: str
    headers: Mapping[str, str]
    body: bytes


class Outcome(Enum):
    """The carrier's final word on an accepted interception."""

    intercepted = "intercepted"
    failed_out_for_delivery = "failed_out_for_delivery"


class SimulatedCarrier(Protocol):
    code: str

    def read_request(self, path: str, headers: Mapping[str, str], body: bytes) -> InterceptRequest | Reply:
        """The checked request, or the carrier's own rejection (bad signature, unknown method, ...).

        `path` is what follows "/<code>" in the URL; header names are lower-case.
        """

    def accepted(self, request: InterceptRequest) -> Reply: ...

    def refused_signed(self, request: InterceptRequest) -> Reply:
        """A synchronous refusal because the parcel is already signed for."""

    def cancelled(self, request: InterceptRequest, done: bool) -> Reply:
        """The answer to a cancel: done, or refused because there is nothing left to cancel."""

    def status(self, request: InterceptRequest, outcome: Outcome | None) -> Reply:
        """The answer to a status query: the final outcome, or None while still working on it."""

    def stage(self, request: InterceptRequest, stage: ParcelStage) -> Reply:
        """The answer to a tracking query whose newest scan puts the parcel at `stage`."""

    def callback(self, request: InterceptRequest, outcome: Outcome, event_id: str, now_millis: int) -> Callback: ...
