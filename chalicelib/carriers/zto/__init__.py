"""ZTO (中通) express. Protocol in protocol.py, its codes in units.py, the account in settings.py."""
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
    code="zto",
    names=Names(zh="中通", en="ZTO Express"),
    kind="carrier",
    rank=1,
    can_redirect=False,
    can_withdraw=True,
    can_poll=True,
    results_by=("callback",),
    list_price=300,
    sources=Sources(intercept=MODELLED, cancel=MODELLED, query=MODELLED, track=MODELLED, callback=MODELLED,
                    signing="published: ZTO open platform, x-datadigest over the exact body"),
    settings="chalicelib.carriers.zto.settings:ZtoSettings",
    protocol="chalicelib.carriers.zto.protocol",
    dev_credentials={"app_key": RandomHex(4, prefix="dev-zto-"), "app_secret": RandomHex(16),
                     "company_id": RandomHex(4, prefix="dev-company-")},
    simulator="simulator.zto:ZtoCarrier",
    signing=(
        SigningRecipe("zto", "sign", "x-datadigest = base64(md5(body + appSecret)).", (
            SigningInput("--body", help="the request body exactly as sent (UTF-8)", utf8=True),
            SigningInput("--app-secret"),
        )),
    ),
)
