"""China Post EMS (中国邮政 EMS): no interception API of its own is published, so it is reached only through an
aggregator that lists it (jumdata); configure it `{"via": "jumdata"}`."""
from chalicelib.carriers.declaration import NONE_PUBLISHED, CarrierDeclaration, Names, Sources

DECLARATION = CarrierDeclaration(
    code="ems",
    names=Names(zh="中国邮政 EMS", en="China Post EMS"),
    kind="carrier",
    rank=9,
    can_redirect=False,
    can_withdraw=False,
    can_poll=False,
    results_by=(),
    list_price=500,
    sources=Sources(*[NONE_PUBLISHED] * 6),
    settings=None,
    protocol=None,
    dev_credentials={},
    simulator=None,
)
