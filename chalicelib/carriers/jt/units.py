"""J&T's codes in the gateway's vocabulary (modelled: J&T publishes none of them)."""
from chalicelib.carriers.base import CarrierResult
from chalicelib.domain.stages import ParcelStage

SYSTEM_CODES: dict[str, str] = {
    "145003050": "bad digest",
    "145003052": "unknown apiAccount",
    "145003053": "missing parameter",
    "145003030": "rate limited",
}

REASON_CODES: dict[str, str] = {
    "999001": "parcel_signed",
    "999002": "parcel_out_for_delivery",
    "999003": "already_intercepted",
    "999004": "parcel_returning",
    "999005": "parcel_not_picked_up",
    "999006": "intercept_not_found",
}

RESULTS: dict[str, CarrierResult] = {
    "10": CarrierResult.accepted,     # 拦截中
    "20": CarrierResult.intercepted,  # 拦截成功
    "30": CarrierResult.failed,       # 拦截失败
    "40": CarrierResult.returned,     # 退件签收
}

#: Trace `scanType` -> unified parcel stage.
STAGES: dict[str, ParcelStage] = {
    "快件揽收": ParcelStage.picked_up,
    "发件扫描": ParcelStage.in_transit,
    "到件扫描": ParcelStage.in_transit,
    "网点到件扫描": ParcelStage.at_destination_outlet,
    "出仓扫描": ParcelStage.out_for_delivery,
    "入库扫描": ParcelStage.in_locker,
    "快件签收": ParcelStage.signed,
    "问题件扫描": ParcelStage.problem,
    "退件扫描": ParcelStage.returning,
}
