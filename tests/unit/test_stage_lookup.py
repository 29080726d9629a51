"""The tracking lookup asks the carrier's tracking query and never lets its failure block a create."""
from chalicelib.carriers.base import CarrierUnavailable, Tracking
from chalicelib.domain.stages import ParcelStage, TrackingScan
from chalicelib.runtime import carrier_tracking_lookup

SCAN = TrackingScan(at="2026-11-20T02:00:00.000Z", stage=ParcelStage.in_transit, code="DEPARTURE")


class TrackingQuery:
    def __init__(self, answer: Tracking | Exception) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def query_tracking(self, tracking_no: str) -> Tracking:
        self.asked.append(tracking_no)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_the_carriers_answer_is_the_stage_and_its_scans():
    adapter = TrackingQuery(Tracking(ParcelStage.signed, (SCAN,)))
    assert carrier_tracking_lookup({"zto": adapter})("zto", "ZT1000000008") == Tracking(ParcelStage.signed, (SCAN,))
    assert adapter.asked == ["ZT1000000008"]


def test_a_carrier_that_cannot_answer_gives_unknown():
    lookup = carrier_tracking_lookup({"zto": TrackingQuery(CarrierUnavailable("timeout"))})
    assert lookup("zto", "ZT1000000008") == Tracking(ParcelStage.unknown)


def test_a_carrier_without_an_adapter_gives_unknown():
    assert carrier_tracking_lookup({})("sf", "SF1000000008") == Tracking(ParcelStage.unknown)
