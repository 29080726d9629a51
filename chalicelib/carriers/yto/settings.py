"""YTO's entry in CARRIER_CONFIG."""
from dataclasses import dataclass


@dataclass(frozen=True)
class YtoSettings:
    base_url: str
    app_key: str
    secret: str
