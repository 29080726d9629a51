"""J&T's entry in CARRIER_CONFIG."""
from dataclasses import dataclass


@dataclass(frozen=True)
class JtSettings:
    base_url: str
    api_account: str
    private_key: str
    #: a platform-level customer account (客户编码, from the outlet) serving every merchant without
    #: its own (the merchant's settings and the secret store hold theirs: docs/carriers.md)
    customer_code: str | None = None
    password: str | None = None   # that customer's plain password: only its salted MD5 goes into the digest

    def __post_init__(self) -> None:
        if bool(self.customer_code) != bool(self.password):
            raise ValueError("J&T customer_code and password come together")
