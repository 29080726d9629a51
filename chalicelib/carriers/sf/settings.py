"""SF's entry in CARRIER_CONFIG."""
from dataclasses import dataclass


@dataclass(frozen=True)
class SfSettings:
    base_url: str
    partner_id: str
    check_word: str
    #: newDestAddress for returns, when the account wants it explicit (SF otherwise uses the sender's)
    return_address: dict | None = None
