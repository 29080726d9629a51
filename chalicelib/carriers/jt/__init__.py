"""J&T (极兔) express. Protocol in protocol.py, its codes in units.py, the account in settings.py."""
from chalicelib.carriers.declaration import (
    MODELLED,
    CarrierDeclaration,
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
    sources=Sources(intercept=MODELLED, cancel=MODELLED, query=MODELLED, track=MODELLED, callback=MODELLED,
                    signing="published: J&T open platform's envelope, digest header over bizContent"),
    settings="chalicelib.carriers.jt.settings:JtSettings",
    protocol="chalicelib.carriers.jt.protocol",
    dev_credentials={"api_account": RandomHex(4, prefix="dev-jt-"), "private_key": RandomHex(16),
                     "customer_code": RandomHex(4, prefix="dev-jt-cust-")},
    simulator="simulator.jt:JtCarrier",
    signing=(
        SigningRecipe("jt", "sign", "digest = base64(md5(bizContent + privateKey)).", (
            SigningInput("--biz-content", help="the bizContent JSON exactly as sent"),
            SigningInput("--private-key"),
        )),
    ),
)
