"""YTO's codes in the gateway's vocabulary (modelled: YTO publishes none of them)."""
from chalicelib.carriers.base import CarrierResult
from chalicelib.domain.stages import ParcelStage

#: YTO codes for faults in our call or account: never a verdict on the parcel.
SYSTEM_CODES: dict[str, str] = {
    "1001": "bad signature",
    "1002": "unknown app_key",
    "1003": "no such method",
    "1004": "missing parameter",
    "1005": "rate limited",
}

#: YTO business refusal codes -> our reason codes.
REASON_CODES: dict[str, str] = {
    "2001": "parcel_signed",
    "2002": "parcel_out_for_delivery",
    "2003": "already_intercepted",
    "2004": "parcel_returning",
    "2005": "parcel_not_picked_up",
    "2006": "intercept_not_found",
}

#: Interception status (pushes and queries) -> unified result.
RESULTS: dict[str, CarrierResult] = {
    "PROCESSING": CarrierResult.accepted,
    "SUCCESS": CarrierResult.intercepted,
    "FAIL": CarrierResult.failed,
    "RETURNED": CarrierResult.returned,
}

#: Trace `operateType` -> unified parcel stage.
STAGES: dict[str, ParcelStage] = {
    "GOT": ParcelStage.picked_up,             # 揽收
    "DEPARTURE": ParcelStage.in_transit,      # 发件
    "ARRIVAL": ParcelStage.in_transit,        # 到件
    "OUTLET_ARRIVAL": ParcelStage.at_destination_outlet,  # 到达派件网点
    "SENT_SCAN": ParcelStage.out_for_delivery,  # 派件
    "INBOUND": ParcelStage.in_locker,         # 入柜 / 驿站
    "SIGNED": ParcelStage.signed,             # 签收
    "FAILED": ParcelStage.problem,            # 问题件
    "TMS_RETURN": ParcelStage.returning,      # 退回
}
