"""The interception state machine: which status may follow which, and nothing else.

A carrier's result may overtake our own record of the submission (a fast callback arrives before the
worker writes `submitted`), so carrier results are accepted from `pending` too. Terminal statuses
never change again, so a late or duplicated carrier message cannot undo a result or a cancel.
"""
from __future__ import annotations

from chalicelib.domain.models import InterceptStatus as S

ALLOWED: dict[S, frozenset[S]] = {
    S.pending: frozenset({S.submitted, S.intercepted, S.failed, S.cancelled, S.needs_attention}),
    S.submitted: frozenset({S.intercepted, S.failed, S.cancelled, S.needs_attention}),
    S.needs_attention: frozenset({S.pending, S.submitted, S.intercepted, S.failed, S.cancelled}),
    S.intercepted: frozenset({S.returned}),
    S.returned: frozenset(),
    S.failed: frozenset(),
    S.cancelled: frozenset(),
}

#: A merchant may cancel only while no carrier result exists.
CANCELLABLE = frozenset({S.pending, S.submitted, S.needs_attention})

#: Statuses with no carrier result yet: the polling and requeue sweeps look at these.
OPEN = frozenset({S.pending, S.submitted, S.needs_attention})


def can_move(current: S, target: S) -> bool:
    return target in ALLOWED[current]
