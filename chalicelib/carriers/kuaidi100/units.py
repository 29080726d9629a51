"""kuaidi100's codes in the gateway's vocabulary.

The tracking `state` codes are published; the answer codes other than 200, the failure codes and
the push statuses are modelled.
"""
from chalicelib.carriers.base import CarrierResult
from chalicelib.domain.stages import ParcelStage

#: Answer codes that are faults in our call or account, not a verdict on the parcel (modelled).
SYSTEM_CODES: dict[str, str] = {
    "400": "bad request or missing parameter",
    "401": "bad sign",
    "403": "key not authorised for this method",
    "429": "rate limited",
    "500": "kuaidi100 server error",
    "503": "carrier system unavailable",
}

#: The system codes worth retrying: the rest need an operator (account, sign, permission).
RETRYABLE_CODES = frozenset({"429", "500", "503"})

REASON_CODES: dict[str, str] = {
    "30001": "parcel_signed",
    "30002": "parcel_out_for_delivery",
    "30003": "already_intercepted",
    "30004": "parcel_returning",
    "30005": "parcel_not_picked_up",
    "30006": "intercept_not_found",
}

RESULTS: dict[str, CarrierResult] = {
    "INTERCEPTING": CarrierResult.accepted,
    "INTERCEPT_SUCCESS": CarrierResult.intercepted,
    "INTERCEPT_FAIL": CarrierResult.failed,
    "RETURN_SIGNED": CarrierResult.returned,
}

#: Tracking `state` (with resultv2 sub-states) -> unified parcel stage.
STAGES: dict[str, ParcelStage] = {
    "0": ParcelStage.in_transit, "1002": ParcelStage.in_transit, "1003": ParcelStage.in_transit,
    "7": ParcelStage.in_transit,
    "1001": ParcelStage.at_destination_city,
    "1": ParcelStage.picked_up, "103": ParcelStage.picked_up,
    "101": ParcelStage.awaiting_pickup, "102": ParcelStage.awaiting_pickup,
    "2": ParcelStage.problem,
    "3": ParcelStage.signed, "301": ParcelStage.signed, "302": ParcelStage.signed, "303": ParcelStage.signed,
    "304": ParcelStage.signed,
    "4": ParcelStage.returned,
    "5": ParcelStage.out_for_delivery,
    "501": ParcelStage.in_locker,
    "6": ParcelStage.returning,
    "14": ParcelStage.refused,
}

#: A scan's `status` text (resultv2=1: the names of the published states) -> unified parcel stage.
SCAN_STATUSES: dict[str, ParcelStage] = {
    "揽收": ParcelStage.picked_up, "在途": ParcelStage.in_transit, "转投": ParcelStage.in_transit,
    "疑难": ParcelStage.problem, "派件": ParcelStage.out_for_delivery, "签收": ParcelStage.signed,
    "退签": ParcelStage.returned, "退回": ParcelStage.returning, "拒签": ParcelStage.refused,
}


def parent_state(state: str) -> str:
    """resultv2 sub-states: 301 -> 3, 501 -> 5; 1001-1003 are sub-states of 0 (in transit)."""
    if len(state) == 3:
        return state[0]
    if len(state) == 4 and state.startswith("10"):
        return "0"
    return ""
