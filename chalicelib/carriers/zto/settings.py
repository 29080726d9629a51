"""ZTO's entry in CARRIER_CONFIG."""
from dataclasses import dataclass


@dataclass(frozen=True)
class ZtoSettings:
    base_url: str
    app_key: str
    app_secret: str
    company_id: str
