"""The after-sale deadlines: when they are set and how they are judged.

A merchant has the policy's `processing_window_days` from the start of an interception to decide
the refund; without a decision the refund happens on timeout. A refusal is allowed
`refuse_allowed_after_days` after the start even without a result. Arbitration (and any decided
track) stops the clock. The deadline sweep is `chalicelib/schedules/refund_deadlines.py`; the
index that finds due records is built by `chalicelib/store/keys.py::refund_due_entry`.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.clock import from_iso
from chalicelib.domain.models import Intercept, RefundStatus
from chalicelib.rules.policies import PlatformPolicy


def processing_deadline(started: datetime, policy: PlatformPolicy) -> datetime:
    """Set once, when the interception starts."""
    return started + timedelta(days=policy.processing_window_days)


def running(record: Intercept) -> bool:
    """A refund deadline runs only while the track waits for a result or a decision."""
    return record.refund_status == RefundStatus.awaiting_result


def started_at(record: Intercept) -> datetime:
    return from_iso(record.created_at)


def deadline(record: Intercept) -> datetime:
    """End of the processing window, fixed on the record when the interception started."""
    return from_iso(record.processing_deadline)


def refuse_allowed_from(record: Intercept, policy: PlatformPolicy) -> datetime:
    return started_at(record) + timedelta(days=policy.refuse_allowed_after_days)


def timed_out(record: Intercept, now: datetime) -> bool:
    """True when the window ended without a decision: the sweep applies `refund_timeout`."""
    return running(record) and now >= deadline(record)
