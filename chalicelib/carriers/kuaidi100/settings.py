"""kuaidi100's entry in CARRIER_CONFIG: one account, used for every carrier routed through it."""
from dataclasses import dataclass, field
from typing import Mapping

#: The carrier-account fields `interceptOrder` takes in `param` (kuaidi100's names): the merchant's
#: contract with the carrier or its outlet, and for ZTO parcels not ordered through kuaidi100 the
#: carrier's own `appKey` / `appSecret`.
ACCOUNT_FIELDS = ("partnerId", "partnerKey", "partnerSecret", "partnerName", "net", "code", "appKey", "appSecret")


@dataclass(frozen=True)
class Kuaidi100Settings:
    #: the order API's host: interceptOrder is POSTed to f"{base_url}/label/order"
    base_url: str
    key: str
    secret: str
    customer: str
    salt: str
    #: the tracking query's host (another service: f"{poll_url}/poll/query.do"); None: base_url
    poll_url: str | None = None
    #: `orderRole`: 1 the sender, 2 the recipient, 3 a third party
    order_role: str = "1"
    #: `interceptPayType`: SHIPPER, CONSIGNEE, THIRDPARTY or MONTHLY
    pay_type: str = "SHIPPER"
    #: the carrier account's fields (ACCOUNT_FIELDS), copied into `param` as they are
    account: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.account) - set(ACCOUNT_FIELDS))
        if unknown:
            raise ValueError(f"kuaidi100 account fields are {', '.join(ACCOUNT_FIELDS)}; not {', '.join(unknown)}")
