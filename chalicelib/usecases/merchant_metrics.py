"""A merchant's interception figures over a time range, per carrier and in total, from counters.

The figures are not computed from the records at read time: the stream relay keeps counters per
(merchant, UTC day or hour of creation, carrier) from every change of a record (`contribution` of
its image after the change minus that before, chalicelib/store/merchant_counters.py), and a read
sums the counters of the range's buckets: its cost does not depend on how many interceptions
there were. Counters are per whole UTC hour: `from` is taken down and `to` up to the hour.

Rates are fractions (0..1) rounded to 4 places, `null` when nothing could be counted:
- success_rate: intercepted (incl. returned) / intercepts with a carrier result
- return_rate: returned / intercepted (incl. returned)
- cancellation_rate: cancelled / all intercepts
Medians are in seconds: creation to the carrier's result, creation to the refund being settled
(automatic, agreed, or timed out). Counters cannot keep every duration, so each keeps a histogram
of fixed log-scale buckets (four to a doubling: a bucket's upper bound is 2^(1/4), about 19%, above
its lower): `median_seconds_*` is the geometric middle of `median_seconds_*_bounds`, the bounds of
the bucket(s) holding the median, within which the exact median lies. Express refunds (paid before
the interception) are counted separately in `express_refunds` and have no refund time.
`fees_fen` sums the fees charged (`Intercept.fee`, fixed on the result) since the counters began
counting them: a fee fixed before that is in no counter, and no later change of its record adds it.

With an interval, `series` splits the same read by the day or hour items it returned (a series by
hour reads hour items only; by day, the range is widened to whole days, so only day items).
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Iterable

from chalicelib.clock import from_iso, parse_moment, to_iso
from chalicelib.domain.lifecycle import RESULTS, SUCCEEDED
from chalicelib.domain.models import Intercept, InterceptStatus, RefundMode, RefundStatus
from chalicelib.errors import BadRequest

if TYPE_CHECKING:
    from chalicelib.store.merchant_counters import MerchantCounterStore

# -- counters: what one record adds --------------------------------------------------------------

#: The counter attributes: intercepts, express refunds, the fees charged (fen), `S<status>`,
#: `F<failure reason>`, and the histograms' buckets `R<n>` (creation to result) and `D<n>` (creation
#: to refund settled).
INTERCEPTS, EXPRESS, FEES, STATUS, REASON, TO_RESULT, TO_REFUND = "N", "X", "C", "S", "F", "R", "D"
#: Histogram buckets per doubling of the duration.
PER_DOUBLING = 4


def duration_bucket(seconds: float) -> int:
    """0 for under a second; n >= 1 for [2^((n-1)/4), 2^(n/4)) seconds."""
    if seconds < 1:
        return 0
    bucket = math.floor(math.log2(seconds) * PER_DOUBLING) + 1
    while 2 ** ((bucket - 1) / PER_DOUBLING) > seconds:  # floating point at a bound
        bucket -= 1
    while 2 ** (bucket / PER_DOUBLING) <= seconds:
        bucket += 1
    return bucket


def bucket_bounds(bucket: int) -> tuple[float, float]:
    return (0.0, 1.0) if bucket == 0 else (2 ** ((bucket - 1) / PER_DOUBLING), 2 ** (bucket / PER_DOUBLING))


def _seconds(start: str, end: str | None) -> float | None:
    return max(0.0, (from_iso(end) - from_iso(start)).total_seconds()) if end else None


def _refund_settled_at(record: Intercept) -> str | None:
    """When the buyer's refund was settled: a merchant decision or timeout, or the carrier's
    success for an automatic refund. Express refunds were paid before the interception: none."""
    if record.refund_status == RefundStatus.refund_auto:
        return record.result_at
    if record.refund_status in (RefundStatus.refund_agreed, RefundStatus.refund_timeout):
        return record.refund_decided_at
    return None


def contribution(record: Intercept) -> Counter:
    """What a record in its present state adds to its bucket's counters; a change adds the
    difference between its after and before images."""
    counts: Counter = Counter({INTERCEPTS: 1, f"{STATUS}{record.status.value}": 1})
    if record.status == InterceptStatus.failed:
        counts[f"{REASON}{record.result_reason or 'unspecified'}"] += 1
    if record.refund_mode == RefundMode.express:
        counts[EXPRESS] += 1
    if record.fee and record.fee.get("amount"):
        counts[FEES] += record.fee["amount"]
    if (to_result := _seconds(record.created_at, record.result_at)) is not None:
        counts[f"{TO_RESULT}{duration_bucket(to_result)}"] += 1
    if (to_refund := _seconds(record.created_at, _refund_settled_at(record))) is not None:
        counts[f"{TO_REFUND}{duration_bucket(to_refund)}"] += 1
    return counts


def change_of(before: Intercept | None, after: Intercept | None) -> Counter:
    """The counter deltas of one change (nonzero ones only); before and after share their bucket
    (a record's merchant, carrier and creation time never change)."""
    delta = Counter(contribution(after)) if after else Counter()
    delta.subtract(contribution(before) if before else Counter())
    return Counter({name: value for name, value in delta.items() if value})


# -- figures from counters ------------------------------------------------------------------------

def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _median(counts: Counter, prefix: str) -> tuple[float | None, list[float] | None]:
    histogram = sorted((int(name[len(prefix):]), value) for name, value in counts.items()
                       if name.startswith(prefix) and name[len(prefix):].isdigit() and value > 0)
    total = sum(value for _, value in histogram)
    if not total:
        return None, None
    lower_rank, upper_rank = (total + 1) // 2, total // 2 + 1  # the middle one, or the middle two
    seen, lower, upper = 0, None, None
    for bucket, value in histogram:
        seen += value
        if lower is None and seen >= lower_rank:
            lower = bucket
        if seen >= upper_rank:
            upper = bucket
            break
    low, high = bucket_bounds(lower)[0], bucket_bounds(upper)[1]
    middle = math.sqrt(low * high) if low else high / 2
    return round(middle, 1), [round(low, 3), round(high, 3)]


def figures(counts: Counter) -> dict:
    statuses = {status: counts.get(f"{STATUS}{status.value}", 0) for status in InterceptStatus}
    with_result = sum(statuses[status] for status in RESULTS)
    succeeded = sum(statuses[status] for status in SUCCEEDED)
    to_result, to_result_bounds = _median(counts, TO_RESULT)
    to_refund, to_refund_bounds = _median(counts, TO_REFUND)
    return {
        "intercepts": counts.get(INTERCEPTS, 0),
        "by_status": {status.value: count for status, count in statuses.items() if count},
        "success_rate": _rate(succeeded, with_result),
        "failure_reasons": {name[len(REASON):]: value for name, value in sorted(counts.items())
                            if name.startswith(REASON) and value},
        "cancellation_rate": _rate(statuses[InterceptStatus.cancelled], counts.get(INTERCEPTS, 0)),
        "return_rate": _rate(statuses[InterceptStatus.returned], succeeded),
        "median_seconds_to_result": to_result,
        "median_seconds_to_result_bounds": to_result_bounds,
        "median_seconds_to_refund": to_refund,
        "median_seconds_to_refund_bounds": to_refund_bounds,
        "express_refunds": counts.get(EXPRESS, 0),
        "fees_fen": counts.get(FEES, 0),
    }


def summarize(records: Iterable[Intercept]) -> dict:
    """The figures of these records, as their counters give them."""
    total: Counter = Counter()
    for record in records:
        total.update(contribution(record))
    return figures(total)


def merchant_metrics(by_carrier: dict[str, Counter]) -> dict:
    total: Counter = Counter()
    for counts in by_carrier.values():
        total.update(counts)
    return {"total": figures(total),
            "by_carrier": {carrier: figures(counts) for carrier, counts in sorted(by_carrier.items())
                           if counts.get(INTERCEPTS, 0) > 0}}


# -- the range --------------------------------------------------------------------------------------

MAX_RANGE_DAYS = 93
#: A series' intervals, and how many entries one answer may hold (93 days, or the hours of 31).
INTERVALS = {"day": timedelta(days=1), "hour": timedelta(hours=1)}
MAX_ENTRIES = {"day": MAX_RANGE_DAYS, "hour": 31 * 24}


@dataclass(frozen=True)
class MetricsRange:
    start: str
    end: str
    interval: str | None = None


def metrics_range(params: dict | None) -> MetricsRange:
    """Validated `from` and `to` query parameters (ISO-8601 with offset), at most 93 days apart, and
    `interval` (day or hour), whose series may hold at most MAX_ENTRIES entries."""
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
    interval = params.get("interval")
    if interval is not None and interval not in INTERVALS:
        problems.append({"field": "interval", "problem": f"must be one of {', '.join(INTERVALS)}"})
    elif interval is not None and not problems:
        first, last = whole_intervals(to_iso(moments["from"]), to_iso(moments["to"]), interval)
        if (last - first) / INTERVALS[interval] > MAX_ENTRIES[interval]:
            problems.append({"field": "interval", "problem": f"a series by {interval} holds at most "
                                                             f"{MAX_ENTRIES[interval]} entries: narrow the range"})
    unknown = [{"field": name, "problem": "unknown query parameter"} for name in params
               if name not in ("from", "to", "interval")]
    if problems or unknown:
        raise BadRequest("query parameters are invalid", fields=problems + unknown)
    return MetricsRange(to_iso(moments["from"]), to_iso(moments["to"]), interval)


def whole_hours(start: str, end: str) -> tuple[datetime, datetime]:
    """[start, end] widened to whole UTC hours: start down, end up (an end on the hour stays)."""
    first = from_iso(start).astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    last = from_iso(end).astimezone(timezone.utc)
    rounded = last.replace(minute=0, second=0, microsecond=0)
    return first, rounded if rounded == last else rounded + timedelta(hours=1)


def whole_intervals(start: str, end: str, interval: str | None) -> tuple[datetime, datetime]:
    """[start, end] widened to whole UTC hours, and to whole UTC days for a series by day."""
    first, last = whole_hours(start, end)
    if interval != "day":
        return first, last
    midnight = last.replace(hour=0)
    return first.replace(hour=0), midnight if midnight == last else midnight + timedelta(days=1)


def metrics_report(counters: MerchantCounterStore, platform_id: str, merchant_id: str, start: str, end: str,
                   interval: str | None = None) -> dict:
    """The figures of the range; with an `interval`, also `series`: the figures of each of its
    intervals, oldest first, those without intercepts included. Both come from one read of the
    range's counters (the hour items for a series by hour)."""
    first, last = whole_intervals(start, end, interval)
    counted = counters.read(platform_id, merchant_id, first, last, hourly=interval == "hour")
    report = {"merchant_id": merchant_id, "from": to_iso(first), "to": to_iso(last),
              **merchant_metrics(_by_carrier(counted.items()))}
    if interval is not None:
        report["series"] = _series(counted, first, last, INTERVALS[interval])
    return report


def _by_carrier(counted: Iterable[tuple[tuple[str, str], Counter]]) -> dict[str, Counter]:
    by_carrier: dict[str, Counter] = {}
    for (_, carrier), counts in counted:
        by_carrier.setdefault(carrier, Counter()).update(counts)
    return by_carrier


def _series(counted: dict[tuple[str, str], Counter], first: datetime, last: datetime, step: timedelta) -> list[dict]:
    """The counters of each interval of [first, last), split by the day or hour each item counts."""
    by_interval: dict[int, list] = {}
    for (bucket, carrier), counts in counted.items():
        bucket_start = datetime.strptime(bucket, "%Y-%m-%dT%H" if "T" in bucket else "%Y-%m-%d")
        position = (bucket_start.replace(tzinfo=timezone.utc) - first) // step
        by_interval.setdefault(position, []).append(((bucket, carrier), counts))
    entries = []
    for position in range((last - first) // step):
        begins = first + position * step
        entries.append({"from": to_iso(begins), "to": to_iso(begins + step),
                        **merchant_metrics(_by_carrier(by_interval.get(position, [])))})
    return entries
