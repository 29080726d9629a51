"""STO's codes in the gateway's vocabulary (modelled: STO publishes none of them)."""
from chalicelib.carriers.base import CarrierResult
from chalicelib.domain.stages import ParcelStage

SYSTEM_CODES: dict[str, str] = {
    "S01": "bad data_digest",
    "S02": "unknown from_appkey",
    "S03": "no such api_name",
    "S04": "missing parameter",
    "S05": "rate limited",
}

REASON_CODES: dict[str, str] = {
    "B01": "parcel_signed",
    "B02": "parcel_out_for_delivery",
    "B03": "already_intercepted",
    "B04": "parcel_returning",
    "B05": "parcel_not_picked_up",
    "B06": "intercept_not_found",
}

RESULTS: dict[str, CarrierResult] = {
    "0": CarrierResult.accepted,     # 处理中
    "1": CarrierResult.intercepted,  # 拦截成功
    "2": CarrierResult.failed,       # 拦截失败
    "3": CarrierResult.returned,     # 退回签收
}

#: Trace `scanType` -> unified parcel stage.
STAGES: dict[str, ParcelStage] = {
    "收件": ParcelStage.picked_up,
    "发件": ParcelStage.in_transit,
    "到件": ParcelStage.in_transit,
    "派件网点到件": ParcelStage.at_destination_outlet,
    "派件": ParcelStage.out_for_delivery,
    "驿站代收": ParcelStage.in_locker,
    "签收": ParcelStage.signed,
    "问题件": ParcelStage.problem,
    "退回件": ParcelStage.returning,
}
