"""jumdata's entry in CARRIER_CONFIG: the gateway's jumdata application and the merchant's carrier accounts."""
from dataclasses import dataclass, field

#: the merchant's credentials with a carrier, as jumdata's interception service takes them (published)
ACCOUNT_FIELDS = ("customerCode", "customerPsw", "customerSiteCode")


@dataclass(frozen=True)
class JumdataSettings:
    base_url: str
    app_id: str
    app_secret: str
    #: our carrier code -> the merchant's account with that carrier ({customerCode, customerPsw, customerSiteCode})
    accounts: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        for carrier, account in self.accounts.items():
            unknown = set(account) - set(ACCOUNT_FIELDS) if isinstance(account, dict) else {"<not an object>"}
            if unknown:
                raise ValueError(f"jumdata account for {carrier} has unknown fields {sorted(unknown)}; "
                                 f"it takes {list(ACCOUNT_FIELDS)}")
