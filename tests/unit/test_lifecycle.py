import pytest

from chalicelib.domain.lifecycle import ALLOWED, CANCELLABLE, can_move
from chalicelib.domain.models import InterceptStatus as S

TERMINAL = {S.returned, S.failed, S.cancelled}


def test_every_status_has_a_transition_row():
    assert set(ALLOWED) == set(S)


@pytest.mark.parametrize("terminal", sorted(TERMINAL))
@pytest.mark.parametrize("target", sorted(S))
def test_terminal_statuses_never_change(terminal, target):
    assert not can_move(terminal, target)


def test_carrier_result_may_overtake_the_submission_record():
    assert can_move(S.pending, S.intercepted)
    assert can_move(S.pending, S.failed)


def test_a_late_acknowledgement_cannot_undo_a_result():
    assert not can_move(S.intercepted, S.submitted)
    assert not can_move(S.failed, S.submitted)


def test_only_intercepted_parcels_can_be_returned():
    assert [status for status in S if can_move(status, S.returned)] == [S.intercepted]


def test_cancel_is_allowed_only_before_a_carrier_result():
    assert CANCELLABLE == {S.pending, S.submitted, S.needs_attention}
    assert all(can_move(status, S.cancel_requested) for status in CANCELLABLE)


def test_only_a_record_the_carrier_never_saw_is_cancelled_at_once():
    assert [status for status in S if can_move(status, S.cancelled)] == [S.pending, S.cancel_requested]


def test_a_requested_cancel_ends_in_what_the_carrier_did():
    assert ALLOWED[S.cancel_requested] == {S.cancelled, S.intercepted, S.failed}


def reachable_from(status: S) -> set[S]:
    seen, frontier = set(), [status]
    while frontier:
        for following in ALLOWED[frontier.pop()]:
            if following not in seen:
                seen.add(following)
                frontier.append(following)
    return seen


@pytest.mark.parametrize("result", [S.intercepted, S.failed, S.returned, S.cancel_requested, S.cancelled])
def test_a_repeated_result_can_never_apply_twice(result):
    """Why callbacks need no receipt of their own: once a result (or a cancel) is applied, no status
    the record can reach from there lets the same result apply again."""
    assert not any(can_move(later, result) for later in reachable_from(result) | {result})


def test_an_acknowledgement_repeats_only_after_an_operator_was_called_in():
    """`submitted` is left for `needs_attention` when a callback-only route's result is overdue; the
    carrier saying again that it holds the instruction then puts it back (or an operator's redrive
    sends it again, through `pending`). No other way leads from `submitted` back to itself, and that
    move charges nothing (only results carry a fee)."""
    assert {later for later in reachable_from(S.submitted) | {S.submitted} if can_move(later, S.submitted)} \
        == {S.needs_attention, S.pending}
    assert S.pending not in ALLOWED[S.submitted]
