"""A small run of the load bench (bench/load.py) on the real local stack: a burst of creates with
same-key retries beside and after the originals, and new-key requests for the same parcels.
Nothing accepted is lost, nothing is created or submitted to a carrier twice."""
import pytest

from bench.load import run

pytestmark = pytest.mark.integration


def test_a_burst_with_retries_loses_nothing_and_duplicates_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCAL_STATE_DIR", str(tmp_path))  # the bench's stack writes its files there, not in .local/
    report = run(creates=30, clients=4, time_limit=60)

    assert report["problems"] == {}
    assert (report["lost"], report["duplicated"], report["unexpected answers"], report["unexpected outcomes"]) == (
        0, 0, 0, 0)
    assert report["requests not sent (time limit)"] == 0
    # the run exercised what it claims to: retries racing their original, refusals, both carrier outcomes
    assert report["concurrent retries that overlapped their original"] > 0
    assert {"202", "409", "422"} <= set(report["answers by status code"])
    assert {"intercepted", "failed"} <= set(report["terminal statuses"])
    assert report["carrier submissions"] >= report["interceptions accepted"]
