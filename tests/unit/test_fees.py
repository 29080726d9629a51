"""Fee quotes: the subscribed outlet's agreed fee offline, the carrier's list price online."""
from chalicelib.domain.models import Carrier, MerchantSettings, Outlet, PolicyName
from chalicelib.rules.policies import policy_for
from chalicelib.rules.pricing import quote_fee

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
