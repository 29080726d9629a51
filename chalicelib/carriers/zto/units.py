"""ZTO's codes in the gateway's vocabulary: system codes, refusals, push statuses, tracking actions.

Published (ZTO open platform, carriers.md): the system codes S2xx and the data-permission codes
E4xx, and the tracking `action` values. ZTO publishes no interception API, so its business codes
and push statuses are modelled here, each in one map, so the real contract replaces them in one
place.
"""
import re

from chalicelib.carriers.base import CarrierResult
from chalicelib.domain.stages import ParcelStage

#: ZTO system codes ("S" + digits) and data-permission codes ("E" + digits): faults in our request
#: or account, never a verdict on the parcel.
SYSTEM_CODE = re.compile(r"[SE]\d+")
SYSTEM_CODES: dict[str, str] = {
    "S206": "rate limited",
    "S207": "no such API method",
    "S208": "missing parameter",
    "S210": "app key not bound to the company",
    "S211": "bad signature",
    "S212": "IP not on the allow-list",
    "S214": "timestamp outside the accepted window",
    "S221": "QPS limit exceeded",
}
#: Only the rate limits are worth retrying; every other system or permission code needs an operator.
RETRYABLE_CODES = frozenset({"S206", "S221"})

#: ZTO business codes (synchronous refusals and callback reasonCode) -> our reason codes (modelled).
REASON_CODES: dict[str, str] = {
    "SIGNED": "parcel_signed",
    "DISPATCHED": "parcel_out_for_delivery",
    "ALREADY_INTERCEPTED": "already_intercepted",
    "RETURNING": "parcel_returning",
    "NOT_PICKED_UP": "parcel_not_picked_up",
    "NOT_FOUND": "intercept_not_found",
}

#: Push and status-query `status` -> unified result (modelled).
RESULTS: dict[str, CarrierResult] = {
    "ACCEPTED": CarrierResult.accepted,
    "INTERCEPT_SUCCESS": CarrierResult.intercepted,
    "INTERCEPT_FAIL": CarrierResult.failed,
    "RETURN_SIGNED": CarrierResult.returned,
}

#: Tracking `action` (published) -> unified parcel stage. ZTO has no action of its own for the
#: destination outlet or a return: those show as ARRIVAL and as the scans of the return trip.
STAGES: dict[str, ParcelStage] = {
    "GOT": ParcelStage.picked_up,                  # 收件
    "DEPARTURE": ParcelStage.in_transit,           # 发件
    "ARRIVAL": ParcelStage.in_transit,             # 到件
    "DISPATCH": ParcelStage.out_for_delivery,      # 派件
    "INBOUND": ParcelStage.in_locker,              # 入库 (station or locker)
    "SIGNED": ParcelStage.signed,                  # 签收
    "DEPARTURE_SIGNED": ParcelStage.signed,        # 出库签收 (taken from the station or locker)
    "HANDOVERSCAN_SIGNED": ParcelStage.signed,     # 交接签收
}


def stage_from_code(code: str) -> ParcelStage:
    return STAGES.get(code, ParcelStage.unknown)
