"""J&T's entry in CARRIER_CONFIG."""
from dataclasses import dataclass


@dataclass(frozen=True)
class JtSettings:
    base_url: str
    api_account: str
    private_key: str
    customer_code: str   # the merchant's J&T customer number (客户编码), from its outlet
    password: str        # that customer's plain password: only its salted MD5 goes into the digest
