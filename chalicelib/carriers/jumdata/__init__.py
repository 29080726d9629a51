"""jumdata (聚美智数), an interception aggregator for carriers with no public interception API of
their own. Protocol in protocol.py, its codes in units.py, the account in settings.py."""
from chalicelib.carriers.declaration import (
    MODELLED,
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
    code="jumdata",
    names=Names(zh="聚美智数", en="jumdata"),
    kind="aggregator",
    rank=11,
    can_redirect=True,
    can_return_to_outlet=True,
    can_withdraw=False,
    can_poll=True,
    results_by=("poll",),
    #: our carrier code -> jumdata's company code for it (the codes are modelled)
    reaches={"yunda": "YUNDA", "ems": "EMS", "debang": "DBKD", "zto": "ZTO", "sto": "STO", "jt": "JT", "sf": "SF",
             "jd": "JD"},
    sources=Sources(
        intercept="published: jumdata interception service (showdoc jumdata 11484298394968332: operationType 1 "
                  "origin outlet, 2 sender, 4 redirect; customerCode, customerPsw, customerSiteCode; taskNo); its "
                  "path and the other field names are modelled",
        cancel=NONE_PUBLISHED,
        query="published: jumdata interception result query (InterceptStatus); its path and values are modelled",
        track=MODELLED,
        callback=NONE_PUBLISHED,
        signing="published: jumdata common parameters appId, timestamp, sign = sha256(appId + appSecret + timestamp)",
    ),
    settings="chalicelib.carriers.jumdata.settings:JumdataSettings",
    protocol="chalicelib.carriers.jumdata.protocol",
    dev_credentials={"app_id": RandomHex(8, prefix="dev-jum-"), "app_secret": RandomHex(16)},
    merchant_account=MerchantAccount(fields=("customerCode", "customerPsw", "customerSiteCode"),
                                     required=("customerCode", "customerPsw"), secret=("customerPsw",),
                                     platform_level="accounts.{carrier}",
                                     dev={"customerCode": RandomHex(4, prefix="dev-jum-cust-"),
                                          "customerPsw": RandomHex(8), "customerSiteCode": RandomHex(2, prefix="site-")}),
    simulator="simulator.jumdata:JumdataCarrier",
    signing=(
        SigningRecipe("jumdata", "sign", "sign = sha256_hex(appId + appSecret + timestamp).", (
            SigningInput("--app-id"), SigningInput("--app-secret"),
            SigningInput("--timestamp", help="the timestamp parameter (epoch ms)"),
        )),
    ),
)
