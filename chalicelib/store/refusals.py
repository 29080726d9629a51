"""What a store write can refuse, in the gateway's terms. Each is raised instead of a raw ClientError."""
from __future__ import annotations


class StaleState(Exception):
    """The item is no longer in the state the write was conditioned on; re-read and decide again."""


class IdempotencyKeyUsed(Exception):
    """The idempotency key has a live record; `record` is it (with its stored response)."""

    def __init__(self, record: dict) -> None:
        super().__init__("idempotency key already used")
        self.record = record


class ParcelAlreadyIntercepted(Exception):
    """The caller's own platform has an interception of this parcel (`intercept_id`)."""

    def __init__(self, intercept_id: str) -> None:
        super().__init__(intercept_id)
        self.intercept_id = intercept_id


class ParcelClaimedElsewhere(Exception):
    """Another platform has an active interception of this parcel (which one is not told)."""


class VersionConflict(Exception):
    """A versioned replace found another version stored (0: none is stored)."""

    def __init__(self, current_version: int) -> None:
        super().__init__(f"current version is {current_version}")
        self.current_version = current_version


class InvalidCursor(Exception):
    """A listing cursor this API did not issue, or issued for another query."""
