"""What the simulator core and each simulated carrier exchange.

The core owns faults, the per-parcel scenario, the state of each instruction and callback
delivery; a carrier module owns only its wire format (request checks, replies, callback bodies and
signatures).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
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


#: The two scans a simulated parcel's tracking lists: picked up, then where it is now.
SCAN_TEXT = {ParcelStage.picked_up: "快件已揽收", ParcelStage.in_transit: "快件已发往下一站",
             ParcelStage.at_destination_outlet: "快件已到达派件网点", ParcelStage.signed: "快件已签收"}
PICKUP_SITE, LATEST_SITE = "杭州萧山网点", "上海转运中心"
BEIJING = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class ScanTimes:
    """When the simulated parcel was picked up and last scanned (epoch ms): fixed per parcel from
    when the simulator first heard of it, so every query lists the same scans, as a carrier's does."""

    picked_up: int
    latest: int

    @classmethod
    def first_heard(cls, millis: int) -> ScanTimes:
        return cls(picked_up=millis - 86_400_000, latest=millis - 3_600_000)


def wall_clock(millis: int, layout: str = "%Y-%m-%d %H:%M:%S") -> str:
    """Beijing wall-clock text, as Chinese carriers write scan times."""
    return datetime.fromtimestamp(millis / 1000, tz=BEIJING).strftime(layout)


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

    def stage(self, request: InterceptRequest, stage: ParcelStage, times: ScanTimes) -> Reply:
        """The answer to a tracking query: picked up at `times.picked_up`, and a newest scan at
        `times.latest` that puts the parcel at `stage`."""

    def callback(self, request: InterceptRequest, outcome: Outcome, event_id: str, now_millis: int) -> Callback: ...
