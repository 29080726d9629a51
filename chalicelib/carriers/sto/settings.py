"""STO's entry in CARRIER_CONFIG."""
from dataclasses import dataclass


@dataclass(frozen=True)
class StoSettings:
    base_url: str
    app_key: str
    secret: str
    customer_code: str
