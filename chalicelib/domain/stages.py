"""One parcel stage vocabulary for every carrier (each carrier module maps its own codes here)."""
from enum import StrEnum


class ParcelStage(StrEnum):
    unknown = "unknown"
    awaiting_pickup = "awaiting_pickup"
    picked_up = "picked_up"
    in_transit = "in_transit"
    at_destination_city = "at_destination_city"
    at_destination_outlet = "at_destination_outlet"
    out_for_delivery = "out_for_delivery"
    in_locker = "in_locker"
    signed = "signed"
    refused = "refused"
    returning = "returning"
    returned = "returned"
    problem = "problem"


#: Stages at which a carrier can still stop the parcel.
INTERCEPTABLE = frozenset({
    ParcelStage.picked_up,
    ParcelStage.in_transit,
    ParcelStage.at_destination_city,
    ParcelStage.at_destination_outlet,
})
