"""SF's entry in CARRIER_CONFIG."""
from dataclasses import dataclass


@dataclass(frozen=True)
class SfSettings:
    base_url: str
    partner_id: str
    check_word: str
    #: newDestAddress for returns, when the account wants it explicit (SF otherwise uses the sender's)
    return_address: dict | None = None
    #: `payMode` of the interception fee: 1 sender cash, 2 recipient cash, 3 / 4 monthly account
    #: (the norm for merchants), which needs `monthlyCardNo`
    pay_mode: str = "1"
    monthly_card_no: str | None = None

    def __post_init__(self) -> None:
        if self.pay_mode not in ("1", "2", "3", "4"):
            raise ValueError(f"SF pay_mode is 1, 2, 3 or 4, not {self.pay_mode!r}")
        if self.pay_mode in ("3", "4") and not self.monthly_card_no:
            raise ValueError("SF pay_mode 3 and 4 (monthly account) need monthly_card_no")
