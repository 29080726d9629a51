"""What the carrier protocols share once a reply is unwrapped from its carrier's envelope.

Each protocol reads its own envelope into an `Answer` (raising CarrierUnavailable for anything
that is not a verdict; `read_answer` does it for the common envelope shape) and keeps its own code
maps in its units module; these functions turn an Answer and those maps into the gateway's
outcomes, so the judgement is the same for every carrier.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from chalicelib.carriers.base import (
    CallbackEvent,
    CancelOutcome,
    CarrierAccountFault,
    CarrierResult,
    CarrierUnavailable,
    InvalidCallback,
    SubmitOutcome,
    Tracking,
)
from chalicelib.carriers.wire import epoch_millis, json_object, text
from chalicelib.clock import to_iso
from chalicelib.domain.stages import ParcelStage, TrackingScan, in_order

#: Our reason code for a refusal whose carrier code is not in the module's REASON_CODES.
UNMAPPED_REFUSAL = "carrier_refused"

#: A callback whose timestamp is further than this from our clock is refused (replay guard).
CALLBACK_MAX_SKEW = timedelta(minutes=10)


@dataclass(frozen=True)
class Answer:
    """A carrier reply whose envelope was readable: ok or a business refusal, with its data."""

    ok: bool
    code: str = ""
    message: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PushFields:
    """Where a carrier's result push keeps each thing the gateway needs."""

    event_id: str
    intercept_id: str
    tracking_no: str
    status: str
    reason: str
    message: str
    timestamp: str | None   # None: the protocol carries no timestamp in the push
    #: the push is JSON with the timestamp as a number: a digit string is refused, not read
    integer_timestamp: bool = False


@dataclass(frozen=True)
class Envelope:
    """A JSON reply of the common shape: a true/false verdict, a code, a message and a data object.

    A refusal whose code is a system code (a fault in our call or account: bad signature, rate
    limit, ...) is not a verdict on the parcel, so reading it raises CarrierUnavailable.
    """

    carrier: str                    # its name in error messages
    verdict: str
    code: str
    message: str
    data: str
    system_codes: Mapping[str, str]            # code -> what it means
    #: every code matching this is a system code, listed in `system_codes` or not
    system_code_pattern: re.Pattern[str] | None = None
    #: the verdict may also come as the string "true" or "false"
    verdict_as_text: bool = False
    #: None: every system code is transient (retried). Otherwise only these are (rate limits,
    #: server errors) and any other system code is a CarrierAccountFault (account, permissions, IP).
    retryable_codes: frozenset[str] | None = None

    def system_fault(self, code: str) -> str | None:
        """What a system code means; None for a code that is a verdict."""
        if self.system_code_pattern is not None and self.system_code_pattern.fullmatch(code):
            return self.system_codes.get(code, "system error")
        return self.system_codes.get(code)


def read_answer(status: int, body: bytes, envelope: Envelope) -> Answer:
    """A reply in the common envelope as an Answer; HTTP errors, unreadable bodies and system codes
    raise CarrierUnavailable."""
    if not 200 <= status < 300:
        raise CarrierUnavailable(f"{envelope.carrier} answered HTTP {status}: {body[:200]!r}")
    reply = json_object(body)
    ok = reply.get(envelope.verdict) if reply is not None else None
    if envelope.verdict_as_text and ok in ("true", "false"):
        ok = ok == "true"
    if not isinstance(ok, bool):
        raise CarrierUnavailable(f"{envelope.carrier} answered an unreadable body: {body[:200]!r}")
    code = str(reply.get(envelope.code) or "")
    message = text(reply.get(envelope.message)) or ""
    if not ok:
        raise_system_fault(envelope, code, message)
    data = reply.get(envelope.data)
    return Answer(ok, code, message, data if isinstance(data, dict) else {})


def raise_system_fault(envelope: Envelope, code: str, message: str) -> None:
    """Raise for a system code (transient, or an account fault), return for a verdict's code."""
    fault = envelope.system_fault(code)
    if fault is None:
        return
    said = f"{envelope.carrier} refused the call with {code} ({fault}): {message}"
    if envelope.retryable_codes is not None and code not in envelope.retryable_codes:
        raise CarrierAccountFault(said, code)
    raise CarrierUnavailable(said)


def reason_for(code: str, reason_codes: Mapping[str, str]) -> str:
    return reason_codes.get(code, UNMAPPED_REFUSAL)


def submit_outcome(answer: Answer, reason_codes: Mapping[str, str], ref_field: str) -> SubmitOutcome:
    if answer.ok:
        return SubmitOutcome(CarrierResult.accepted, carrier_ref=text(answer.data.get(ref_field)),
                             message=answer.message or None)
    return SubmitOutcome(CarrierResult.failed, reason_code=reason_for(answer.code, reason_codes),
                         message=f"{answer.code or 'no code'}: {answer.message}")


def cancel_outcome(answer: Answer, reason_codes: Mapping[str, str]) -> CancelOutcome:
    if answer.ok:
        return CancelOutcome(True, message=answer.message or None)
    return CancelOutcome(False, reason_code=reason_for(answer.code, reason_codes),
                         message=f"{answer.code or 'no code'}: {answer.message}")


def query_outcome(answer: Answer, status_field: str, reason_field: str, results: Mapping[str, CarrierResult],
                  reason_codes: Mapping[str, str]) -> SubmitOutcome:
    """An interception-status query: `accepted` while the carrier has no final word."""
    if not answer.ok:
        raise CarrierUnavailable(f"status query refused: {answer.code}: {answer.message}")
    status = text(answer.data.get(status_field)) or ""
    result = results.get(status)
    if result is None:
        raise CarrierUnavailable(f"status query answered an unknown status {status!r}")
    carrier_reason = text(answer.data.get(reason_field))
    return SubmitOutcome(result, reason_code=reason_for(carrier_reason, reason_codes) if carrier_reason else None,
                         message=text(answer.data.get("message")) or answer.message or None)


@dataclass(frozen=True)
class ScanFields:
    """Where a carrier's tracking answer (or push) keeps each scan's code, time, text and location
    (`location` None where the carrier's scan names none)."""

    code: str
    at: str
    text: str
    location: str | None = None


#: Carriers that write scan times as local wall-clock text ("2024-05-01 08:00:00") mean Beijing time.
BEIJING = timezone(timedelta(hours=8))
WALL_CLOCK_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S")


def scan_time(value: object) -> str | None:
    """A scan's time as ISO UTC: epoch milliseconds (a number or digit string) or Beijing wall-clock
    text; None when unreadable (such a scan cannot be placed in order and is left out)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return to_iso(datetime.fromtimestamp(value / 1000, tz=timezone.utc))
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        for layout in WALL_CLOCK_FORMATS:
            try:
                return to_iso(datetime.strptime(value.strip(), layout).replace(tzinfo=BEIJING))
            except ValueError:
                continue
    return None


def tracking_scans(scans: object, fields: ScanFields, stages: Mapping[str, ParcelStage]) -> list[TrackingScan]:
    """The scans of a tracking list that carry a code and a readable time, oldest first, each once."""
    found = []
    for scan in scans if isinstance(scans, list) else []:
        if not isinstance(scan, dict):
            continue
        code, at = text(scan.get(fields.code)), scan_time(scan.get(fields.at))
        if not code or at is None:
            continue
        location = scan.get(fields.location) if fields.location else None
        if isinstance(location, dict):  # a site object: its name
            location = location.get("name")
        found.append(TrackingScan(at=at, stage=stages.get(code, ParcelStage.unknown), code=code[:64],
                                  text=(text(scan.get(fields.text)) or "")[:200] or None,
                                  location=(text(location) or "")[:100] or None))
    return in_order(found)


def tracking_of(answer: Answer, list_field: str, fields: ScanFields, stages: Mapping[str, ParcelStage]) -> Tracking:
    """A tracking query's answer: the stage of the newest scan as listed (carriers list scans oldest
    first), and the scans that carry a readable time."""
    if not answer.ok:
        raise CarrierUnavailable(f"tracking query refused: {answer.code}: {answer.message}")
    scans = answer.data.get(list_field)
    if not isinstance(scans, list):
        raise CarrierUnavailable("tracking query answered without a scan list")
    last = scans[-1] if scans else None
    code = text(last.get(fields.code)) if isinstance(last, dict) else None
    return Tracking(stages.get(code or "", ParcelStage.unknown), tuple(tracking_scans(scans, fields, stages)))


def callback_event(push: Mapping[str, Any], fields: PushFields, results: Mapping[str, CarrierResult],
                   reason_codes: Mapping[str, str], now: datetime) -> CallbackEvent:
    """A verified push turned into an event; stale or incomplete pushes raise InvalidCallback."""
    required = (fields.event_id, fields.intercept_id, fields.tracking_no, fields.status)
    missing = [name for name in required if not text(push.get(name))]
    if missing:
        raise InvalidCallback(f"missing fields: {', '.join(missing)}")
    occurred_at = now
    if fields.timestamp is not None:
        occurred_at = epoch_millis(push.get(fields.timestamp), integer_only=fields.integer_timestamp)
        if abs(occurred_at - now) > CALLBACK_MAX_SKEW:
            raise InvalidCallback(f"timestamp {occurred_at.isoformat()} is outside the accepted window")
    result = results.get(push[fields.status])
    if result is None:
        raise InvalidCallback(f"unknown status {push[fields.status]!r}")
    carrier_reason = text(push.get(fields.reason))
    return CallbackEvent(
        intercept_id=push[fields.intercept_id], tracking_no=push[fields.tracking_no], result=result,
        event_id=push[fields.event_id], occurred_at=occurred_at,
        reason_code=reason_for(carrier_reason, reason_codes) if carrier_reason else None,
        message=text(push.get(fields.message)),
    )
