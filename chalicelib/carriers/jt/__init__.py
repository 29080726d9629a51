"""J&T (极兔) express. Protocol in protocol.py, its codes in units.py, the account in settings.py."""
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
    code="jt",
    names=Names(zh="极兔", en="J&T Express"),
    kind="carrier",
    rank=4,
    can_redirect=False,
    can_withdraw=True,
    can_poll=True,
    results_by=("callback",),
    list_price=300,
    sources=Sources(intercept=MODELLED, cancel=MODELLED, query=MODELLED,
                    track="published: J&T open platform /webopenplatformapi/api/logistics/trace (its answer's "
                          "scan names are modelled)",
                    callback=MODELLED,
                    signing="published: J&T open platform, header digest over bizContent and the business digest "
                            "with customerCode and the salted password (worked example: J&T's UAT sample "
                            "account, tests/fixtures/carriers/jt/business_digest.json)"),
    settings="chalicelib.carriers.jt.settings:JtSettings",
    protocol="chalicelib.carriers.jt.protocol",
    dev_credentials={"api_account": RandomHex(4, prefix="dev-jt-"), "private_key": RandomHex(16),
                     "customer_code": RandomHex(4, prefix="dev-jt-cust-"), "password": RandomHex(8)},
    #: the merchant's J&T customer account (客户编码 and its password, from its outlet): every
    #: order-family bizContent carries `customerCode` and the business digest over the password
    merchant_account=MerchantAccount(fields=("customerCode", "password"), required=("customerCode", "password"),
                                     secret=("password",),
                                     settings_names={"customerCode": "customer_code", "password": "password"}),
    simulator="simulator.jt:JtCarrier",
    signing=(
        SigningRecipe("jt", "sign", "digest = base64(md5(bizContent + privateKey)).", (
            SigningInput("--biz-content", help="the bizContent JSON exactly as sent"),
            SigningInput("--private-key"),
        )),
        SigningRecipe("jt-business", "business_digest",
                      'digest = base64(md5(customerCode + UPPER(md5_hex(password + "jadada236t2")) + privateKey)).', (
                          SigningInput("--customer-code"),
                          SigningInput("--password", help="the customer's plain password"),
                          SigningInput("--private-key"),
                      )),
    ),
)
