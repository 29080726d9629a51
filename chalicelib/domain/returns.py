"""Where an intercepted parcel goes back to: one vocabulary for the request, the record and every
carrier route (each protocol maps it to its own code). A module of its own, like the stages, so
the carriers' protocols use it without importing the records."""
from enum import StrEnum


class ReturnTo(StrEnum):
    """Where a return goes (a redirect sends the parcel on to a new address instead)."""

    sender = "sender"  # the sender's address
    outlet = "outlet"  # the outlet (网点) that took the parcel in, where the merchant collects it
