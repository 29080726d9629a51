"""A merchant's interception figures over a time range, per carrier and in total.

Rates are fractions (0..1) rounded to 4 places, `null` when nothing could be counted:
- success_rate: intercepted (incl. returned) / intercepts with a carrier result
- return_rate: returned / intercepted (incl. returned)
- cancellation_rate: cancelled / all intercepts
Medians are in seconds: creation to the carrier's result, creation to the refund being settled
(automatic, agreed, or timed out). Express refunds (paid before the interception) are counted
separately in `express_refunds` and have no refund time.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Iterable

from chalicelib.clock import from_iso, parse_moment, to_iso
from chalicelib.domain.lifecycle import RESULTS, SUCCEEDED
from chalicelib.domain.models import Intercept, InterceptStatus, RefundMode, RefundStatus

if TYPE_CHECKING:
    from chalicelib.store.intercepts import InterceptStore
from chalicelib.errors import BadRequest


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _seconds(start: str, end: str | None) -> float | None:
    return (from_iso(end) - from_iso(start)).total_seconds() if end else None


def _median(values: list[float]) -> float | None:
    from statistics import median  # its import costs more than the rest of this module

    return round(median(values), 3) if values else None


def summarize(records: Iterable[Intercept]) -> dict:
    records = list(records)
    statuses = Counter(record.status for record in records)
    with_result = sum(statuses[status] for status in RESULTS)
    succeeded = sum(statuses[status] for status in SUCCEEDED)
    to_result = [s for record in records if (s := _seconds(record.created_at, record.result_at)) is not None]
    to_refund = [s for record in records if (s := _seconds(record.created_at, _refund_settled_at(record))) is not None]
    return {
        "intercepts": len(records),
        "by_status": {status.value: statuses[status] for status in InterceptStatus if statuses[status]},
        "success_rate": _rate(succeeded, with_result),
        "failure_reasons": dict(Counter(record.result_reason or "unspecified" for record in records
                                        if record.status == InterceptStatus.failed)),
        "cancellation_rate": _rate(statuses[InterceptStatus.cancelled], len(records)),
        "return_rate": _rate(statuses[InterceptStatus.returned], succeeded),
        "median_seconds_to_result": _median(to_result),
        "median_seconds_to_refund": _median(to_refund),
        "express_refunds": sum(1 for record in records if record.refund_mode == RefundMode.express),
    }


def _refund_settled_at(record: Intercept) -> str | None:
    """When the buyer's refund was settled: a merchant decision or timeout, or the carrier's
    success for an automatic refund. Express refunds were paid before the interception: none."""
    if record.refund_status == RefundStatus.refund_auto:
        return record.result_at
    if record.refund_status in (RefundStatus.refund_agreed, RefundStatus.refund_timeout):
        return record.refund_decided_at
    return None


def merchant_metrics(records: Iterable[Intercept]) -> dict:
    by_carrier: dict[str, list[Intercept]] = defaultdict(list)
    everything = []
    for record in records:
        by_carrier[record.carrier.value].append(record)
        everything.append(record)
    return {"total": summarize(everything),
            "by_carrier": {carrier: summarize(group) for carrier, group in sorted(by_carrier.items())}}


MAX_RANGE_DAYS = 93


def metrics_range(params: dict | None) -> tuple[str, str]:
    """Validated `from` and `to` query parameters (ISO-8601 with offset), at most 93 days apart."""
    params = dict(params or {})
    problems, moments = [], {}
    for name in ("from", "to"):
        text = params.get(name)
        try:
            moment = parse_moment(text) if text else None
        except ValueError:
            moment = None
        if moment is None:
            problems.append({"field": name, "problem": "required: an ISO-8601 date-time with offset, e.g. "
                                                       "2026-11-01T00:00:00Z"})
        else:
            moments[name] = moment
    if not problems and not moments["from"] < moments["to"]:
        problems.append({"field": "to", "problem": "must be after from"})
    elif not problems and (moments["to"] - moments["from"]).days > MAX_RANGE_DAYS:
        problems.append({"field": "to", "problem": f"the range may span at most {MAX_RANGE_DAYS} days"})
    unknown = [{"field": name, "problem": "unknown query parameter"} for name in params if name not in ("from", "to")]
    if problems or unknown:
        raise BadRequest("query parameters are invalid", fields=problems + unknown)
    return to_iso(moments["from"]), to_iso(moments["to"])


def metrics_report(intercepts: InterceptStore, platform_id: str, merchant_id: str, start: str, end: str) -> dict:
    records = intercepts.of_merchant(platform_id, merchant_id, start, end)
    return {"merchant_id": merchant_id, "from": start, "to": end, **merchant_metrics(records)}
