"""Platform policies as data. A rule reads a field here; no rule branches on a platform's name."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Literal, Mapping

from chalicelib.carriers import carrier_declarations
from chalicelib.domain.models import Carrier, GoodsType, PolicyName

#: Every declared carrier (the `Carrier` enum is built from the declarations).
ALL_CARRIERS = frozenset(Carrier)


@dataclass(frozen=True)
class PlatformPolicy:
    name: PolicyName
    supported_carriers: frozenset[Carrier]
    #: refund amount must be strictly below this many fen (None: no cap)
    amount_cap_exclusive: int | None
    excluded_goods_types: frozenset[GoodsType]
    multi_package_allowed: bool
    cross_border_allowed: bool
    agreement_required: bool
    ewaybill_required: bool
    merchant_amount_range: bool
    merchant_chooses_carriers: bool
    out_for_delivery: Literal["refuse", "warn"]
    #: an after-sale of type return_and_refund (退货退款): interception is for refund-only after shipment
    return_and_refund: Literal["refuse", "warn"]
    processing_window_days: int
    refuse_allowed_after_days: int
    auto_refund_on_success: bool
    outlet_subscription_required: bool
    #: offline_outlet: the merchant pays the outlet it subscribed to, at the fee agreed with it;
    #: online: the gateway quotes the carrier's list price from `carrier_fees`
    fee_settlement: Literal["offline_outlet", "online"]
    #: success: a fee is due only when the parcel is stopped; attempt: on every request sent to the carrier
    fee_charged_on: Literal["success", "attempt"]
    #: online list price per interception, fen (unused with offline_outlet settlement)
    carrier_fees: Mapping[Carrier, int] = field(default_factory=dict)
    #: online price of a redirect (改址, the request names `redirect_to`) where it differs from
    #: `carrier_fees`, fen; a carrier absent here is priced as a return. Empty in every policy: no
    #: seed or carrier document gives a redirect price.
    redirect_fees: Mapping[Carrier, int] = field(default_factory=dict)


#: Carrier list prices for one interception (fen) where the fee is settled online, as each carrier declares.
CARRIER_LIST_PRICES: Mapping[Carrier, int] = MappingProxyType({
    Carrier(declaration.code): declaration.list_price for declaration in carrier_declarations()
})

_EXCLUDED_GOODS = frozenset({GoodsType.fresh, GoodsType.virtual, GoodsType.full_truckload})

#: What every platform's policy starts from (each names only where it differs); unchanged, the default.
BASE = PlatformPolicy(
    name=PolicyName.default,
    supported_carriers=ALL_CARRIERS,
    amount_cap_exclusive=None,
    excluded_goods_types=frozenset({GoodsType.virtual}),
    multi_package_allowed=False,
    cross_border_allowed=False,
    agreement_required=False,
    ewaybill_required=False,
    merchant_amount_range=False,
    merchant_chooses_carriers=True,
    out_for_delivery="refuse",
    return_and_refund="refuse",
    processing_window_days=5,
    refuse_allowed_after_days=3,
    auto_refund_on_success=True,
    outlet_subscription_required=False,
    fee_settlement="online",
    fee_charged_on="success",
    carrier_fees=CARRIER_LIST_PRICES,
)

POLICIES: dict[PolicyName, PlatformPolicy] = {
    # Seed 002: ZTO/YTO/STO/J&T; refund below 500 yuan; single package; no fresh, virtual or
    # full-truckload goods; no cross-border merchants; agreement signed; e-waybill enabled; fees
    # settled offline with the subscribed outlet at the agreed price, on success.
    PolicyName.kuaishou: replace(
        BASE,
        name=PolicyName.kuaishou,
        supported_carriers=frozenset({Carrier.zto, Carrier.yto, Carrier.sto, Carrier.jt}),
        amount_cap_exclusive=50_000,
        excluded_goods_types=_EXCLUDED_GOODS,
        agreement_required=True,
        ewaybill_required=True,
        outlet_subscription_required=True,
        fee_settlement="offline_outlet",
        carrier_fees={},
    ),
    # Seeds 000/001: the merchant sets the order-amount range and picks the carriers; the platform
    # charges nothing and the merchant bears the carrier's fee for each request. Seed 001 also has
    # a buyer's return (退货退款) intercepted once merchant and buyer agree: allowed, with a warning.
    PolicyName.pinduoduo: replace(
        BASE,
        name=PolicyName.pinduoduo,
        cross_border_allowed=True,
        merchant_amount_range=True,
        out_for_delivery="warn",
        return_and_refund="warn",
        fee_charged_on="attempt",
    ),
    # Seed 003: several packages per after-sale may be intercepted.
    PolicyName.douyin: replace(BASE, name=PolicyName.douyin, multi_package_allowed=True),
    PolicyName.default: BASE,
}


def policy_for(name: PolicyName | str) -> PlatformPolicy:
    return POLICIES[PolicyName(name)]
