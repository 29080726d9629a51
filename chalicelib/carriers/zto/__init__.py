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
    sources=Sources(intercept=MODELLED, cancel=MODELLED, query=MODELLED,
                    track="published: ZTO open platform tracking actions (GOT ... HANDOVERSCAN_SIGNED); the "
                          "query's method name is modelled",
                    callback="published: ZTO push envelope (form data, data_digest, company_id, msg_type); "
                             "the result's msg_type and fields are modelled",
                    signing="published: ZTO open platform, x-datadigest over the exact body, data_digest over data"),
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
        SigningRecipe("zto-push", "push_sign", "data_digest = base64(md5(data + appSecret)), how ZTO signs a push.", (
            SigningInput("--data", help="the data field exactly as received"),
            SigningInput("--app-secret"),
        )),
    ),
)
