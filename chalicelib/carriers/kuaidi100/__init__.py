"""kuaidi100 (快递100), an aggregator. Protocol in protocol.py, its codes in units.py, the account in settings.py."""
from chalicelib.carriers.declaration import (
    MODELLED,
    CarrierDeclaration,
    MerchantAccount,
    Names,
    RandomHex,
    SigningInput,
    SigningRecipe,
    Sources,
)

DECLARATION = CarrierDeclaration(
    code="kuaidi100",
    names=Names(zh="快递100", en="kuaidi100"),
    kind="aggregator",
    rank=6,
    can_redirect=True,
    can_return_to_outlet=True,
    can_withdraw=False,   # kuaidi100 publishes no intercept cancel
    can_poll=False,       # nor an intercept status query: results come only by callback
    results_by=("callback",),
    reaches={"zto": "zhongtong", "yto": "yuantong", "jt": "jtexpress", "sto": "shentong", "sf": "shunfeng"},
    sources=Sources(
        intercept="published: kuaidi100 interceptOrder (api.kuaidi100.com document dianzimiandanlanjie; SDK "
                  "kuaidi100-api/java-demo src/main/java/com/kuaidi100/sdk/request/labelV2/InterceptOrderReq.java)",
        cancel="none published",
        query="none published",
        track="published: kuaidi100 tracking query https://poll.kuaidi100.com/poll/query.do (SDK QueryTrackReq.java)",
        callback=MODELLED,
        signing="published: kuaidi100 order API sign UPPER(md5(param + t + key + secret)) and tracking query sign "
                "UPPER(md5(param + key + customer)); the push's sign with the salt is modelled",
    ),
    settings="chalicelib.carriers.kuaidi100.settings:Kuaidi100Settings",
    protocol="chalicelib.carriers.kuaidi100.protocol",
    dev_credentials={"key": RandomHex(4, prefix="dev-k100-"), "secret": RandomHex(16),
                     "customer": RandomHex(8, upper=True), "salt": RandomHex(8)},
    merchant_account=MerchantAccount(fields=("partnerId", "partnerKey", "partnerSecret", "partnerName", "net",
                                             "code", "appKey", "appSecret"),
                                     required=("partnerId",), secret=("partnerKey", "partnerSecret", "appSecret"),
                                     platform_level="account",
                                     dev={"partnerId": RandomHex(4, prefix="dev-k100-partner-"),
                                          "partnerKey": RandomHex(8)}),
    simulator="simulator.kuaidi100:Kuaidi100Carrier",
    signing=(
        SigningRecipe("kuaidi100", "sign", "sign = UPPER(md5_hex(param + t + key + secret)) for the order API.", (
            SigningInput("--param", help="the param JSON exactly as sent"),
            SigningInput("--t", help="the t form field (epoch ms)"),
            SigningInput("--key"),
            SigningInput("--secret"),
        )),
        SigningRecipe("kuaidi100-callback", "push_sign",
                      "sign = UPPER(md5_hex(param + salt)), how kuaidi100 signs its callbacks.", (
                          SigningInput("--param", help="the pushed param JSON exactly as received"),
                          SigningInput("--salt", help="the salt sent with the interception"),
                      )),
    ),
)
