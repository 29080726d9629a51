"""jumdata's codes in the gateway's vocabulary.

Published (jumdata's interception service): `operationType` 1 back to the origin outlet, 2 back
to the sender, 4 redirect; a `taskNo` per call; the result query's `InterceptStatus`. Modelled:
the answer `code` 200 for success, the InterceptStatus values, the refusal codes and which codes
are our account's fault.
"""
from chalicelib.carriers.base import CarrierResult
from chalicelib.domain.stages import ParcelStage

#: operationType (published): back to the origin outlet, back to the sender, on to a new address
OPERATION_TO_OUTLET = "1"
OPERATION_TO_SENDER = "2"
OPERATION_REDIRECT = "4"

#: InterceptStatus -> result (the values are modelled)
RESULTS: dict[str, CarrierResult] = {
    "0": CarrierResult.accepted,      # processing
    "1": CarrierResult.intercepted,
    "2": CarrierResult.failed,
}

#: refusal codes (in an answer's code, or a failed query's failCode) -> our reason codes (modelled)
REASON_CODES: dict[str, str] = {
    "30001": "parcel_signed",
    "30002": "parcel_out_for_delivery",
    "30003": "already_intercepted",
    "30004": "parcel_not_picked_up",
    "30005": "intercept_not_found",
}

#: codes that are faults of our call or account, not a verdict (modelled); only these are retried
SYSTEM_CODES: dict[str, str] = {
    "401": "bad sign or unknown appId",
    "402": "timestamp outside the accepted window",
    "403": "no permission for the service (or balance exhausted)",
    "405": "the merchant's carrier account was refused",
    "429": "rate limited",
    "500": "system error",
}
RETRYABLE_CODES = frozenset({"429", "500"})

#: tracking status (modelled)
STAGES: dict[str, ParcelStage] = {
    "GOT": ParcelStage.picked_up,
    "TRANSIT": ParcelStage.in_transit,
    "OUTLET": ParcelStage.at_destination_outlet,
    "DELIVERING": ParcelStage.out_for_delivery,
    "SIGNED": ParcelStage.signed,
    "RETURN": ParcelStage.returning,
}
