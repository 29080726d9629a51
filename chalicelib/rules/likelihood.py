"""How likely a carrier is to stop a parcel at each stage (seed 000: effective until the parcel
leaves the last transit centre, poor at the destination station or out for delivery, impossible
once signed). The table is documented in docs/rules.md; keep the two in step."""
from __future__ import annotations

from enum import StrEnum

from chalicelib.domain.stages import ParcelStage


class Likelihood(StrEnum):
    high = "high"
    medium = "medium"
    low = "low"
    very_low = "very_low"
    none = "none"
    unknown = "unknown"


SUCCESS_LIKELIHOOD: dict[ParcelStage, Likelihood] = {
    ParcelStage.unknown: Likelihood.unknown,
    ParcelStage.awaiting_pickup: Likelihood.none,
    ParcelStage.picked_up: Likelihood.high,
    ParcelStage.in_transit: Likelihood.high,
    ParcelStage.at_destination_city: Likelihood.medium,
    ParcelStage.at_destination_outlet: Likelihood.low,
    ParcelStage.out_for_delivery: Likelihood.very_low,
    ParcelStage.in_locker: Likelihood.very_low,
    ParcelStage.signed: Likelihood.none,
    ParcelStage.refused: Likelihood.none,
    ParcelStage.returning: Likelihood.none,
    ParcelStage.returned: Likelihood.none,
    ParcelStage.problem: Likelihood.low,
}


def success_likelihood(stage: ParcelStage) -> Likelihood:
    return SUCCESS_LIKELIHOOD[stage]
