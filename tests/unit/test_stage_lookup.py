"""The stage lookup asks the carrier's tracking query and never lets its failure block a create."""
from chalicelib.carriers.base import CarrierUnavailable
from chalicelib.domain.stages import ParcelStage
from chalicelib.runtime import carrier_stage_lookup


class Tracking:
    def __init__(self, answer: ParcelStage | Exception) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def query_stage(self, tracking_no: str) -> ParcelStage:
        self.asked.append(tracking_no)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_the_carriers_answer_is_the_stage():
    adapter = Tracking(ParcelStage.signed)
    assert carrier_stage_lookup({"zto": adapter})("zto", "ZT1000000008") == ParcelStage.signed
    assert adapter.asked == ["ZT1000000008"]


def test_a_carrier_that_cannot_answer_gives_unknown():
    lookup = carrier_stage_lookup({"zto": Tracking(CarrierUnavailable("timeout"))})
    assert lookup("zto", "ZT1000000008") == ParcelStage.unknown


def test_a_carrier_without_an_adapter_gives_unknown():
    assert carrier_stage_lookup({})("sf", "SF1000000008") == ParcelStage.unknown
