"""JD Logistics' entry in CARRIER_CONFIG: the JOS application and the merchant's JD account."""
from dataclasses import dataclass


@dataclass(frozen=True)
class JdSettings:
    #: the JOS gateway, https://api.jd.com/routerjson
    base_url: str
    app_key: str
    app_secret: str
    #: the merchant's authorisation of the application (OAuth access token)
    access_token: str
    #: a platform-level JD Logistics account (商家编码) serving every merchant without its own:
    #: `vendorCode` of the interception, `customerCode` of the tracking query (which names no merchant)
    customer_code: str | None = None
    #: who cancels, as the interception records it (`cancelOperator`)
    operator: str = "parcel-intercept-gateway"
    #: `cancelOperatorCodeType`: the kind of operator id (the values are not published; modelled)
    operator_code_type: str = "1"
