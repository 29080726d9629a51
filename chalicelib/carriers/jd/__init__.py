"""JD Logistics (京东物流). Protocol in protocol.py, its codes in units.py, the account in settings.py."""
from chalicelib.carriers.declaration import (
    NONE_PUBLISHED,
    CarrierDeclaration,
    MerchantAccount,
    Names,
    RandomHex,
    SigningInput,
    SigningRecipe,
    Sources,
)

DECLARATION = CarrierDeclaration(
    code="jd",
    names=Names(zh="京东物流", en="JD Logistics"),
    kind="carrier",
    rank=7,
    can_redirect=False,
    can_withdraw=False,
    can_poll=True,
    results_by=("poll",),
    list_price=500,
    sources=Sources(
        intercept="published: JD open platform (JOS) jingdong.ldop.receive.order.intercept, apiId 1435 (SDK "
                  "LdopReceiveOrderInterceptRequest: vendorCode, deliveryId, interceptReason, cancelOperatorCodeType, "
                  "cancelTime, cancelOperator)",
        cancel=NONE_PUBLISHED,
        query="published: the same call repeated (JD: asynchronous, poll; stateCode 100 success, 108 already done); "
              "the refusal codes are modelled",
        track="published: JOS jingdong.ldop.receive.trace.get (customerCode, waybillCode); its titles' stages are "
              "modelled",
        callback=NONE_PUBLISHED,
        signing="published: JOS signing, sign = UPPER(md5(appSecret + sorted name+value pairs + appSecret)) (JOS "
                "SDKs' _sign)",
    ),
    settings="chalicelib.carriers.jd.settings:JdSettings",
    protocol="chalicelib.carriers.jd.protocol",
    dev_credentials={"app_key": RandomHex(8, upper=True), "app_secret": RandomHex(16),
                     "access_token": RandomHex(16), "customer_code": RandomHex(4, prefix="dev-jd-")},
    #: the merchant's JD Logistics account (商家编码), `vendorCode` of the interception
    merchant_account=MerchantAccount(fields=("vendorCode",), required=("vendorCode",), secret=(),
                                     settings_names={"vendorCode": "customer_code"}),
    simulator="simulator.jd:JdCarrier",
    signing=(
        SigningRecipe("jd", "sign_json", "sign = UPPER(md5(appSecret + name1 value1 name2 value2 ... + appSecret)), "
                      "names in order, sign itself left out.", (
                          SigningInput("--params", help="every form parameter but sign, as one JSON object"),
                          SigningInput("--app-secret"),
                      )),
    ),
)
