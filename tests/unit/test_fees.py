"""Fee quotes: the subscribed outlet's agreed fee offline, the carrier's list price (or redirect
price) online; the fee fixed on a result: the carrier's own figure where it names one."""
from dataclasses import replace

from chalicelib.domain.models import Carrier, MerchantSettings, Outlet, PolicyName
from chalicelib.rules.policies import POLICIES, policy_for
from chalicelib.rules.pricing import fee_on_result, quote_fee

MERCHANT = MerchantSettings(merchant_id="m-1", outlets={
    Carrier.zto: Outlet(outlet_id="zto-hz-01", name="ZTO Hangzhou Xihu", fee=250)})


def test_offline_settlement_quotes_the_subscribed_outlets_fee():
    quote = quote_fee(policy_for(PolicyName.kuaishou), MERCHANT, Carrier.zto).as_dict()
    assert quote == {"amount": 250, "currency": "CNY", "settlement_mode": "offline_outlet", "charged_on": "success",
                     "outlet": {"outlet_id": "zto-hz-01", "name": "ZTO Hangzhou Xihu", "fee": 250}}


def test_offline_settlement_without_an_outlet_has_no_price():
    quote = quote_fee(policy_for(PolicyName.kuaishou), MERCHANT, Carrier.yto)
    assert (quote.amount, quote.outlet) == (None, None)


def test_offline_settlement_without_merchant_settings_has_no_price():
    assert quote_fee(policy_for(PolicyName.kuaishou), None, Carrier.zto).amount is None


def test_online_settlement_quotes_the_policy_price_table_and_ignores_outlets():
    pinduoduo = quote_fee(policy_for(PolicyName.pinduoduo), MERCHANT, Carrier.zto)
    assert (pinduoduo.amount, pinduoduo.settlement_mode, pinduoduo.charged_on, pinduoduo.outlet) == \
        (300, "online", "attempt", None)
    assert quote_fee(policy_for(PolicyName.douyin), None, Carrier.sf).amount == 800


ONLINE = replace(policy_for(PolicyName.douyin), redirect_fees={Carrier.sf: 1200})


def test_a_redirect_is_quoted_at_the_policys_redirect_price():
    assert quote_fee(ONLINE, None, Carrier.sf, redirect=True).amount == 1200
    assert quote_fee(ONLINE, None, Carrier.sf).amount == 800


def test_a_redirect_without_a_redirect_price_is_quoted_as_a_return():
    assert quote_fee(ONLINE, None, Carrier.zto, redirect=True).amount == 300
    assert quote_fee(policy_for(PolicyName.douyin), None, Carrier.sf, redirect=True).amount == 800


def test_offline_settlement_quotes_the_outlets_fee_for_a_redirect_too():
    kuaishou = replace(policy_for(PolicyName.kuaishou), redirect_fees={Carrier.zto: 999})
    assert quote_fee(kuaishou, MERCHANT, Carrier.zto, redirect=True).amount == 250


def test_no_policy_sets_a_redirect_price():
    assert all(not policy.redirect_fees for policy in POLICIES.values())


QUOTE = {"amount": 800, "currency": "CNY", "settlement_mode": "online", "charged_on": "success", "outlet": None}


def test_the_fee_the_carrier_names_is_charged_in_place_of_the_quote():
    assert fee_on_result(QUOTE, "intercepted", True, charged=650) == {**QUOTE, "amount": 650, "source": "carrier"}


def test_without_a_carriers_fee_the_quote_is_charged():
    assert fee_on_result(QUOTE, "intercepted", True) == {**QUOTE, "source": "quote"}


def test_the_carriers_fee_is_charged_where_the_quote_had_no_price():
    unpriced = {**QUOTE, "amount": None}
    assert fee_on_result(unpriced, "intercepted", True, charged=500)["amount"] == 500
    assert fee_on_result(unpriced, "intercepted", True) is None


def test_a_carriers_fee_does_not_charge_a_failure_the_policy_does_not_charge():
    assert fee_on_result(QUOTE, "failed", True, charged=650) is None
