"""SF's codes in the gateway's vocabulary (the business codes 80xx and the route codes' meaning for
an interception are modelled)."""
from chalicelib.carriers.base import CarrierResult
from chalicelib.domain.stages import ParcelStage

#: SF platform codes (apiResultCode) other than A1000: never a verdict on the parcel.
PLATFORM_CODES: dict[str, str] = {
    "A1001": "required parameter missing",
    "A1002": "request expired (timestamp)",
    "A1003": "IP not allowed",
    "A1004": "no permission for this service",
    "A1005": "rate limited",
    "A1006": "bad msgDigest",
    "A1007": "duplicate requestID",
    "A1008": "decryption failed",
    "A1009": "target service unavailable",
    "A1099": "system error",
}

#: SF business errorCode -> our reason codes.
REASON_CODES: dict[str, str] = {
    "8016": "parcel_signed",
    "8017": "parcel_out_for_delivery",
    "8018": "already_intercepted",
    "8019": "parcel_returning",
    "8020": "parcel_not_picked_up",
    "8021": "intercept_not_found",
}

#: Route `opCode` -> what it says of an interception (SF publishes no interception status, so its
#: result is read from the routes; modelled): back on its way to the sender means intercepted,
#: signed means too late. Every other code decides nothing yet.
ROUTE_RESULTS: dict[str, tuple[CarrierResult, str | None]] = {
    "99": (CarrierResult.intercepted, None),              # 退回 / 应客户要求退回
    "648": (CarrierResult.intercepted, None),             # 退回件
    "80": (CarrierResult.failed, "parcel_signed"),        # 已签收
    "8000": (CarrierResult.failed, "parcel_signed"),
}

#: Route `opCode` -> unified parcel stage (the codes commonly seen on SF routes).
STAGES: dict[str, ParcelStage] = {
    "50": ParcelStage.picked_up,          # 顺丰已收件
    "54": ParcelStage.picked_up,          # 上门收件
    "30": ParcelStage.in_transit,         # 已发出 / 装车
    "31": ParcelStage.in_transit,         # 已到达
    "36": ParcelStage.in_transit,         # 中转
    "44": ParcelStage.out_for_delivery,   # 正在派送
    "204": ParcelStage.out_for_delivery,  # 派件
    "125": ParcelStage.in_locker,         # 丰巢
    "607": ParcelStage.in_locker,         # 代理点收件
    "80": ParcelStage.signed,             # 已签收
    "8000": ParcelStage.signed,
    "70": ParcelStage.problem,            # 派送不成功
    "33": ParcelStage.problem,            # 滞留
    "99": ParcelStage.returning,          # 退回
    "648": ParcelStage.returning,
}
