"""YTO's codes in the gateway's vocabulary.

Published: the trace operations of yto.Marketing.WaybillTrace (GOT, SENT_SCAN, SIGNED, FAILED,
NOT_SEND). Modelled: everything else here (YTO publishes no interception API).
"""
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

#: Trace `operateType` -> unified parcel stage. The first five are published; the rest are
#: modelled (the in-transit and outlet scans the trace also lists, named here by the gateway).
STAGES: dict[str, ParcelStage] = {
    "GOT": ParcelStage.picked_up,             # 揽收 (published)
    "SENT_SCAN": ParcelStage.out_for_delivery,  # 派件 (published)
    "SIGNED": ParcelStage.signed,             # 签收 (published)
    "FAILED": ParcelStage.problem,            # 签收失败 (published)
    "NOT_SEND": ParcelStage.problem,          # 未派送 (published)
    "DEPARTURE": ParcelStage.in_transit,      # 发件 (modelled)
    "ARRIVAL": ParcelStage.in_transit,        # 到件 (modelled)
    "OUTLET_ARRIVAL": ParcelStage.at_destination_outlet,  # 到达派件网点 (modelled)
    "INBOUND": ParcelStage.in_locker,         # 入柜 / 驿站 (modelled)
    "TMS_RETURN": ParcelStage.returning,      # 退回 (modelled)
}
