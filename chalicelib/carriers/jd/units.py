"""JD Logistics' codes in the gateway's vocabulary.

Published (JOS `jingdong.ldop.receive.order.intercept`, JD's guidance: asynchronous, poll it):
`stateCode` 100 success, 108 already done. Modelled: the refusal codes, the "still working" code
the simulator answers, the JOS gateway codes that are our account's fault, and the tracking
titles' stages.
"""
from chalicelib.carriers.base import CarrierResult
from chalicelib.domain.stages import ParcelStage

STATE_SUCCESS = "100"        # published
STATE_ALREADY_DONE = "108"   # published
#: what a repeated call answers while JD has not acted yet (modelled; any code not listed here or in
#: REASON_CODES is read the same way: not decided, keep polling)
STATE_PROCESSING = "102"

#: a poll's stateCode -> the result (the two published codes)
RESULTS: dict[str, CarrierResult] = {
    STATE_SUCCESS: CarrierResult.intercepted,
    STATE_ALREADY_DONE: CarrierResult.intercepted,
}

#: stateCode refusals -> our reason codes (modelled)
REASON_CODES: dict[str, str] = {
    "103": "parcel_signed",
    "104": "parcel_out_for_delivery",
    "105": "parcel_returning",
    "106": "intercept_not_found",
}

#: JOS gateway error_response codes that are our application's or account's fault (modelled from
#: JOS's common error list): an operator must act. Other gateway codes are retried.
ACCOUNT_CODES: dict[str, str] = {
    "9": "bad signature",
    "19": "invalid access_token",
    "20": "app_key not authorised for the method",
    "24": "timestamp outside the accepted window",
}

#: tracking `opeTitle` -> stage (modelled: the titles JD's traces commonly show)
STAGES: dict[str, ParcelStage] = {
    "揽收": ParcelStage.picked_up,
    "分拣": ParcelStage.in_transit,
    "发货": ParcelStage.in_transit,
    "到达": ParcelStage.in_transit,
    "站点验货": ParcelStage.at_destination_outlet,
    "配送": ParcelStage.out_for_delivery,
    "妥投": ParcelStage.signed,
    "拒收": ParcelStage.refused,
    "退货": ParcelStage.returning,
}
