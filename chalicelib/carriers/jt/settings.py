"""J&T's entry in CARRIER_CONFIG."""
from dataclasses import dataclass


@dataclass(frozen=True)
class JtSettings:
    base_url: str
    api_account: str
    private_key: str
    customer_code: str
