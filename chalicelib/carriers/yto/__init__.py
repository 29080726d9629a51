"""YTO (圆通) express. Protocol in protocol.py, its codes in units.py, the account in settings.py."""
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
    code="yto",
    names=Names(zh="圆通", en="YTO Express"),
    kind="carrier",
    rank=2,
    can_redirect=False,
    can_withdraw=True,
    can_poll=True,
    results_by=("callback",),
    list_price=300,
    sources=Sources(intercept=MODELLED, cancel=MODELLED, query=MODELLED,
                    track="published: YTO open platform yto.Marketing.WaybillTrace (operations GOT, SENT_SCAN, SIGNED, "
                          "FAILED, NOT_SEND); its other scan names are modelled",
                    callback=MODELLED,
                    signing="published: YTO's signing document (the digest step) and third-party summaries of "
                            "its open platform"),
    settings="chalicelib.carriers.yto.settings:YtoSettings",
    protocol="chalicelib.carriers.yto.protocol",
    dev_credentials={"app_key": RandomHex(4, prefix="dev-yto-"), "secret": RandomHex(16)},
    simulator="simulator.yto:YtoCarrier",
    signing=(
        SigningRecipe("yto", "sign", "sign = base64(md5(param + method + v + secret)).", (
            SigningInput("--param", help="the param JSON exactly as sent"),
            SigningInput("--method"),
            SigningInput("--version", help="the v form field", default_from="VERSION"),
            SigningInput("--secret"),
        )),
    ),
)
