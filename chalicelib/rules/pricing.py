"""What one interception costs the merchant, and how and when it is settled.

`offline_outlet` (Kuaishou, seed 002): the merchant agrees a price with a carrier outlet it
subscribed to; the platform does not price it, so the quote is that outlet's negotiated fee.
`online`: the quote is the carrier's list price from the policy's price table, or, for a redirect
(改址, the request names `redirect_to`), its redirect price where the policy has one.
A quote with `amount` None means no price is known (no subscribed outlet, or no list price).
The fee fixed on the result (`fee_on_result`) is the carrier's own figure where its answer named
one (`source: carrier`), and otherwise the quote's (`source: quote`).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from chalicelib.domain.models import Carrier, MerchantSettings
from chalicelib.rules.policies import PlatformPolicy

CURRENCY = "CNY"

#: where a fixed fee's amount came from: the carrier named it, or the quote's price stood
FeeSource = Literal["carrier", "quote"]
FEE_FIELDS = ("amount", "currency", "settlement_mode", "charged_on", "outlet")


@dataclass(frozen=True)
class FeeQuote:
    amount: int | None  # fen
    settlement_mode: str
    charged_on: str
    outlet: dict | None = None
    currency: str = CURRENCY

    def as_dict(self) -> dict:
        return asdict(self)


def quote_fee(policy: PlatformPolicy, merchant: MerchantSettings | None, carrier: Carrier, *,
              redirect: bool = False) -> FeeQuote:
    """`redirect`: the request re-addresses the parcel (`redirect_to`) rather than returning it."""
    if policy.fee_settlement == "offline_outlet":
        outlet = merchant.outlets.get(carrier) if merchant else None
        return FeeQuote(amount=outlet.fee if outlet else None, settlement_mode=policy.fee_settlement,
                        charged_on=policy.fee_charged_on, outlet=outlet.model_dump() if outlet else None)
    price = policy.redirect_fees.get(carrier) if redirect else None
    return FeeQuote(amount=price if price is not None else policy.carrier_fees.get(carrier),
                    settlement_mode=policy.fee_settlement, charged_on=policy.fee_charged_on)


def fee_on_result(quote: dict | None, result_status: str, carrier_accepted: bool,
                  charged: int | None = None) -> dict | None:
    """The fee to fix on an intercept whose carrier result is `result_status`, or None if none is due.

    Charged on `success`: only an interception that stopped the parcel is charged. Charged on
    `attempt`: a failed interception is charged too, but only if the carrier took the instruction
    (a parcel refused outright at the door of the carrier costs nothing). A quote without a price
    charges nothing; finance sees it in the record as `fee_quote.amount = null`.
    `charged` is the fee the carrier said it charges (SF's `amount`): when known, it is the amount
    fixed, whatever was quoted (`source: carrier`, even where the quote had no price); otherwise the
    quote's amount is (`source: quote`).
    """
    if not quote:
        return None
    amount = charged if charged is not None else quote.get("amount")
    if amount is None:
        return None
    if result_status == "intercepted" or (result_status == "failed" and quote["charged_on"] == "attempt"
                                          and carrier_accepted):
        source: FeeSource = "carrier" if charged is not None else "quote"
        return {**{key: quote.get(key) for key in FEE_FIELDS}, "amount": amount, "source": source}
    return None
