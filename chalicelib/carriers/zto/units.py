"""ZTO's codes in the gateway's vocabulary: system codes, refusals, push statuses, scan types.

ZTO's business codes are not public: they are modelled here, each in one map, so the real contract
replaces them in one place. The system codes S2xx are published.
"""
import re

from chalicelib.carriers.base import CarrierResult
from chalicelib.domain.stages import ParcelStage

#: ZTO system codes ("S" + digits): faults in our request or account, never a verdict on the parcel.
SYSTEM_CODE = re.compile(r"S\d+")
SYSTEM_CODES: dict[str, str] = {
    "S206": "rate limited",
    "S207": "no such API method",
    "S208": "missing parameter",
    "S210": "app key not bound to the company",
    "S211": "bad signature",
}

#: ZTO business codes (synchronous refusals and callback reasonCode) -> our reason codes.
REASON_CODES: dict[str, str] = {
    "SIGNED": "parcel_signed",
    "DISPATCHED": "parcel_out_for_delivery",
    "ALREADY_INTERCEPTED": "already_intercepted",
    "RETURNING": "parcel_returning",
    "NOT_PICKED_UP": "parcel_not_picked_up",
    "NOT_FOUND": "intercept_not_found",
}

#: Push and status-query `status` -> unified result.
RESULTS: dict[str, CarrierResult] = {
    "ACCEPTED": CarrierResult.accepted,
    "INTERCEPT_SUCCESS": CarrierResult.intercepted,
    "INTERCEPT_FAIL": CarrierResult.failed,
    "RETURN_SIGNED": CarrierResult.returned,
}

#: Tracking scan types -> unified parcel stage.
STAGES: dict[str, ParcelStage] = {
    "GOT": ParcelStage.picked_up,                   # 收件
    "DEPARTURE": ParcelStage.in_transit,            # 发件
    "ARRIVAL": ParcelStage.in_transit,              # 到件
    "OUTLET_ARRIVAL": ParcelStage.at_destination_outlet,  # 到达派件网点
    "DISPATCH": ParcelStage.out_for_delivery,       # 派件
    "STATION": ParcelStage.in_locker,               # 代收点 / 快递柜入库
    "SIGNED": ParcelStage.signed,                   # 签收
    "PROBLEM": ParcelStage.problem,                 # 问题件
    "RETURN": ParcelStage.returning,                # 退件
    "RETURN_SIGNED": ParcelStage.returned,          # 退件签收
}


def stage_from_code(code: str) -> ParcelStage:
    return STAGES.get(code, ParcelStage.unknown)
