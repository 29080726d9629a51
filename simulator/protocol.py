"""What the simulator core and each simulated carrier exchange.

The core owns faults, the per-parcel scenario and callback delivery; a carrier module owns only its
wire format (request checking, replies, callback bodies and signatures).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Mapping, Protocol


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})


@dataclass(frozen=True)
class InterceptRequest:
    """An intercept request that passed the carrier's checks (signature, account, fields)."""

    intercept_id: str
    tracking_no: str


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

    def read_intercept(self, path: str, headers: Mapping[str, str], body: bytes) -> InterceptRequest | Reply:
        """The checked request, or the carrier's own rejection (bad signature, unknown method, ...).

        `path` is what follows "/<code>" in the URL; header names are lower-case.
        """

    def accepted(self, request: InterceptRequest) -> Reply: ...

    def refused_signed(self, request: InterceptRequest) -> Reply:
        """A synchronous refusal because the parcel is already signed for."""

    def callback(
        self, request: InterceptRequest, outcome: Outcome, event_id: str, now_millis: int
    ) -> Callback: ...
