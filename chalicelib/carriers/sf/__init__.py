"""SF Express (顺丰). Protocol in protocol.py, its codes in units.py, the account in settings.py."""
from chalicelib.carriers.declaration import (
    CarrierDeclaration,
    HashedText,
    MerchantAccount,
    Names,
    RandomHex,
    SigningInput,
    SigningRecipe,
    Sources,
)

DECLARATION = CarrierDeclaration(
    code="sf",
    names=Names(zh="顺丰", en="SF Express"),
    kind="carrier",
    rank=5,
    can_redirect=True,
    can_withdraw=True,
    can_poll=True,
    results_by=("callback", "poll"),
    list_price=800,
    sources=Sources(
        intercept="published: SF open platform EXP_RECE_WANTED_INTERCEPT (SF SDK service lists, sample "
                  "18.wanted_intercept.json)",
        cancel="published: SF open platform EXP_RECE_WANTED_INTERCEPT, cancel with cusId",
        query="published: SF open platform EXP_RECE_SEARCH_ROUTES (SF publishes no interception status query: "
              "the result is read from the routes; which route codes mean intercepted or too late is modelled)",
        track="published: SF open platform EXP_RECE_SEARCH_ROUTES",
        callback="published: SF route push RoutePushService (WaybillRoute id, mailno, opCode, acceptTime; answer "
                 "return_code 0000); SF publishes no interception push, and the push's signed envelope is modelled",
        signing="published: SF's signing document (数字签名, open.sf-express.com) and its worked example",
    ),
    settings="chalicelib.carriers.sf.settings:SfSettings",
    protocol="chalicelib.carriers.sf.protocol",
    dev_credentials={"partner_id": RandomHex(4, prefix="dev-sf-"), "check_word": RandomHex(16),
                     "monthly_card_no": RandomHex(5)},
    #: the merchant's monthly account (月结卡号) pays the interception fee: payMode 3 (or 4) with its card
    merchant_account=MerchantAccount(fields=("monthlyCardNo", "payMode"), required=("monthlyCardNo",), secret=(),
                                     settings_names={"monthlyCardNo": "monthly_card_no", "payMode": "pay_mode"}),
    simulator="simulator.sf:SfCarrier",
    signing=(
        SigningRecipe("sf", "sign", "msgDigest = base64(md5(java_urlencode(msgData + timestamp + checkWord))).", (
            SigningInput("--msg-data", help="the msgData JSON exactly as sent"),
            SigningInput("--timestamp", help="the timestamp form field (epoch ms)"),
            SigningInput("--check-word", help="the partner's checkWord"),
        ), hashed_text=HashedText("hashed_text", help="also print the URL-encoded text that is hashed")),
    ),
)
