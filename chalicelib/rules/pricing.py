"""What one interception costs the merchant, and how and when it is settled.

`offline_outlet` (Kuaishou, seed 002): the merchant agrees a price with a carrier outlet it
subscribed to; the platform does not price it, so the quote is that outlet's negotiated fee.
`online`: the quote is the carrier's list price from the policy's price table.
A quote with `amount` None means no price is known (no subscribed outlet, or no list price).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from chalicelib.domain.models import Carrier, MerchantSettings
from chalicelib.rules.policies import PlatformPolicy

CURRENCY = "CNY"


@dataclass(frozen=True)
class FeeQuote:
    amount: int | None  # fen
    settlement_mode: str
    charged_on: str
    outlet: dict | None = None
    currency: str = CURRENCY

    def as_dict(self) -> dict:
        return asdict(self)


def quote_fee(policy: PlatformPolicy, merchant: MerchantSettings | None, carrier: Carrier) -> FeeQuote:
    if policy.fee_settlement == "offline_outlet":
        outlet = merchant.outlets.get(carrier) if merchant else None
        return FeeQuote(amount=outlet.fee if outlet else None, settlement_mode=policy.fee_settlement,
                        charged_on=policy.fee_charged_on, outlet=outlet.model_dump() if outlet else None)
    return FeeQuote(amount=policy.carrier_fees.get(carrier), settlement_mode=policy.fee_settlement,
                    charged_on=policy.fee_charged_on)


def fee_on_result(quote: dict | None, result_status: str, carrier_accepted: bool,
                  charged: int | None = None) -> dict | None:
    """The fee to fix on an intercept whose carrier result is `result_status`, or None if none is due.

    Charged on `success`: only an interception that stopped the parcel is charged. Charged on
    `attempt`: a failed interception is charged too, but only if the carrier took the instruction
    (a parcel refused outright at the door of the carrier costs nothing). A quote without a price
    charges nothing; finance sees it in the record as `fee_quote.amount = null`.
    `charged` is the fee the carrier said it charges (SF's `amount`): when known, it is the amount
    fixed, whatever was quoted.
    """
    if not quote:
        return None
    if charged is not None:
        quote = {**quote, "amount": charged}
    if quote.get("amount") is None:
        return None
    if result_status == "intercepted" or (result_status == "failed" and quote["charged_on"] == "attempt"
                                          and carrier_accepted):
        return {key: quote[key] for key in ("amount", "currency", "settlement_mode", "charged_on", "outlet")}
    return None
