"""One parcel stage vocabulary for every carrier (each carrier module maps its own codes here)."""
from enum import StrEnum
from typing import Iterable

from chalicelib.domain.records import Record, record


class ParcelStage(StrEnum):
    unknown = "unknown"
    awaiting_pickup = "awaiting_pickup"
    picked_up = "picked_up"
    in_transit = "in_transit"
    at_destination_city = "at_destination_city"
    at_destination_outlet = "at_destination_outlet"
    out_for_delivery = "out_for_delivery"
    in_locker = "in_locker"
    signed = "signed"
    refused = "refused"
    returning = "returning"
    returned = "returned"
    problem = "problem"


#: Stages at which a carrier can still stop the parcel.
INTERCEPTABLE = frozenset({
    ParcelStage.picked_up,
    ParcelStage.in_transit,
    ParcelStage.at_destination_city,
    ParcelStage.at_destination_outlet,
})


#: Scans kept per parcel: a tracking answer or push longer than this keeps its newest.
TRACKING_CAP = 200


@record
class TrackingScan(Record):
    """One scan of the parcel's tracking (走件记录), as the carrier told it: its time (ISO UTC), the
    unified stage, and the carrier's own code, text and location."""

    at: str
    stage: ParcelStage
    code: str
    text: str | None = None
    location: str | None = None

    @property
    def identity(self) -> tuple:
        """What makes two scans the same scan, told twice."""
        return self.at, self.code, self.text, self.location


def in_order(scans: Iterable[TrackingScan]) -> list[TrackingScan]:
    """Scans oldest first, each once, at most TRACKING_CAP (the newest)."""
    unique = {scan.identity: scan for scan in scans}
    return sorted(unique.values(), key=lambda scan: scan.at)[-TRACKING_CAP:]


def stage_now(scans: Iterable[TrackingScan]) -> ParcelStage:
    """The stage of the newest scan; `unknown` without one."""
    ordered = in_order(scans)
    return ordered[-1].stage if ordered else ParcelStage.unknown
