"""kuaidi100's entry in CARRIER_CONFIG: one account, used for every carrier routed through it."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Kuaidi100Settings:
    base_url: str
    key: str
    secret: str
    customer: str
    salt: str
