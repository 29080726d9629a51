"""STO (申通) express. Protocol in protocol.py, its codes in units.py, the account in settings.py."""
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
    code="sto",
    names=Names(zh="申通", en="STO Express"),
    kind="carrier",
    rank=3,
    can_redirect=False,
    can_withdraw=True,
    can_poll=True,
    results_by=("callback",),
    list_price=300,
    # The tracking API's name (STO_TRACE_QUERY_COMMON) is published; STO's own to_appkey/to_code,
    # which every call carries, are not.
    sources=Sources(intercept=MODELLED, cancel=MODELLED, query=MODELLED, track=MODELLED, callback=MODELLED,
                    signing="published: STO open platform's envelope, data_digest over content"),
    settings="chalicelib.carriers.sto.settings:StoSettings",
    protocol="chalicelib.carriers.sto.protocol",
    dev_credentials={"app_key": RandomHex(4, prefix="dev-sto-"), "secret": RandomHex(16),
                     "customer_code": RandomHex(4, prefix="dev-sto-cust-")},
    simulator="simulator.sto:StoCarrier",
    signing=(
        SigningRecipe("sto", "sign", "data_digest = base64(md5(content + secret)).", (
            SigningInput("--content", help="the content JSON exactly as sent"),
            SigningInput("--secret"),
        )),
    ),
)
