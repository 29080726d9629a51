"""Merchant metrics from records: rates, medians, express refunds counted apart."""
from chalicelib.domain.models import InterceptStatus, RefundMode, RefundStatus
from chalicelib.usecases.merchant_metrics import summarize
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
    assert figures["median_seconds_to_result"] == 20.0
    assert figures["median_seconds_to_refund"] == 3600.0
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
                             "median_seconds_to_refund": None, "express_refunds": 0}
