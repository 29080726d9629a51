"""Merchant metrics as the counters give them: rates, medians within a histogram bucket, express refunds
counted apart."""
from collections import Counter

import pytest

from chalicelib.domain.models import InterceptStatus, RefundMode, RefundStatus
from chalicelib.usecases.merchant_metrics import bucket_bounds, change_of, duration_bucket, summarize
from tests.functional.test_store_races import pending_intercept


def record(n, status, refund_status=RefundStatus.awaiting_result, result_after=None, decided_after=None,
           mode=RefundMode.standard):
    base = pending_intercept(f"icp_{n}")
    return base.model_copy(update={
        "status": status, "refund_status": refund_status, "refund_mode": mode,
        "created_at": "2026-11-23T08:00:00.000Z",
        "result_at": f"2026-11-23T08:00:{result_after:02d}.000Z" if result_after is not None else None,
        "refund_decided_at": f"2026-11-23T09:00:{decided_after:02d}.000Z" if decided_after is not None else None,
    })


def test_refund_times_come_from_the_result_for_automatic_refunds_and_the_decision_otherwise():
    figures = summarize([
        record(1, InterceptStatus.intercepted, RefundStatus.refund_auto, result_after=10),
        record(2, InterceptStatus.failed, RefundStatus.refund_agreed, result_after=20, decided_after=0),
        record(3, InterceptStatus.failed, RefundStatus.refund_timeout, result_after=30, decided_after=0),
    ])
    low, high = figures["median_seconds_to_result_bounds"]
    assert low <= 20 < high and figures["median_seconds_to_result"] == 20.7
    low, high = figures["median_seconds_to_refund_bounds"]
    assert low <= 3600 < high
    assert figures["success_rate"] == round(1 / 3, 4)


def test_express_refunds_are_counted_apart_and_have_no_refund_time():
    figures = summarize([
        record(1, InterceptStatus.intercepted, RefundStatus.refund_paid_upfront, result_after=5,
               mode=RefundMode.express),
        record(2, InterceptStatus.pending),
    ])
    assert figures["express_refunds"] == 1
    assert figures["median_seconds_to_refund"] is None
    assert figures["success_rate"] == 1.0


def test_nothing_to_count_gives_nulls_not_errors():
    assert summarize([]) == {"intercepts": 0, "by_status": {}, "success_rate": None, "failure_reasons": {},
                             "cancellation_rate": None, "return_rate": None, "median_seconds_to_result": None,
                             "median_seconds_to_refund": None, "express_refunds": 0, "fees_fen": 0,
                             "median_seconds_to_result_bounds": None, "median_seconds_to_refund_bounds": None}


@pytest.mark.parametrize("seconds", [0.2, 1, 1.5, 2, 29.99, 30, 3600, 86_400 * 9.5])
def test_a_duration_falls_in_the_bucket_whose_bounds_hold_it(seconds):
    low, high = bucket_bounds(duration_bucket(seconds))
    assert low <= seconds < high


def test_a_changes_counters_are_its_after_image_less_its_before_image():
    before = record(1, InterceptStatus.submitted)
    after = record(1, InterceptStatus.failed, result_after=30).model_copy(update={"result_reason": "parcel_signed"})
    delta = change_of(before, after)
    assert delta["Ssubmitted"] == -1 and delta["Sfailed"] == 1 and delta["Fparcel_signed"] == 1
    assert "N" not in delta  # still one interception
    assert change_of(None, before) == Counter({"N": 1, "Ssubmitted": 1})
    assert change_of(after, after) == Counter()


def test_a_fee_is_counted_once_when_charged_and_corrected_if_it_changes():
    pending = record(1, InterceptStatus.pending)
    fee = {"amount": 300, "currency": "CNY", "settlement_mode": "offline_outlet", "charged_on": "success"}
    charged = record(1, InterceptStatus.intercepted, result_after=5).model_copy(update={"fee": fee})
    assert change_of(pending, charged)["C"] == 300
    assert "C" not in change_of(charged, charged.model_copy(update={"status": InterceptStatus.returned}))
    corrected = charged.model_copy(update={"fee": {**fee, "amount": 450}})
    assert change_of(charged, corrected) == Counter({"C": 150})
    assert summarize([charged, corrected, pending])["fees_fen"] == 750
