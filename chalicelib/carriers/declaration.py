"""What a carrier says about itself, said once (modelled on karrio's `PluginMetadata`).

Each carrier package (`chalicelib/carriers/<code>/__init__.py`) holds one `CarrierDeclaration`, and
everything that used to list carriers reads the declarations instead: the registry and its
adapters, the `Carrier` enum, the platform policies' list prices, the simulator's carrier table,
`gatewayctl sign` and `gatewayctl carriers`, the local stack's dev credentials and the table in
docs/carriers.md.

Every Lambda function imports the declarations (the `Carrier` enum is built from them), so they
must cost next to nothing: a carrier's `__init__.py` imports this module only, which imports the
standard library only. What a declaration points at (its settings dataclass, its protocol and with
it the HTTP layer, `requests` and the parsers, its simulator) is named by import path and loaded
when first needed. For the same reason the parts of a declaration are NamedTuples: building a
dataclass costs several times as much, and only the declaration itself is one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from types import MappingProxyType, ModuleType
from typing import Any, Literal, Mapping, NamedTuple

Kind = Literal["carrier", "aggregator"]
ResultChannel = Literal["callback", "poll"]

MODELLED = "modelled"
PUBLISHED = "published: "
#: The carrier publishes no such operation (and the declaration says it cannot do it).
NONE_PUBLISHED = "none published"


class Names(NamedTuple):
    zh: str
    en: str


class Sources(NamedTuple):
    """Where each part of the protocol comes from: `"published: <document or SDK file>"`;
    `"modelled"` where the carrier publishes nothing and the protocol's constants stand in for the
    real contract until it is known; or `"none published"` where the carrier offers no such
    operation at all and the gateway does without it (no cancel, no status query)."""

    intercept: str
    cancel: str
    query: str
    track: str
    callback: str
    signing: str

    def check(self) -> None:
        for part, source in self._asdict().items():
            if source not in (MODELLED, NONE_PUBLISHED) and not (source.startswith(PUBLISHED) and source[len(PUBLISHED):].strip()):
                raise ValueError(f"source of {part} must be {MODELLED!r} or {PUBLISHED!r} + where: {source!r}")


class RandomHex(NamedTuple):
    """How the local stack makes up a dev credential: `prefix` + `size` random bytes in hex."""

    size: int
    prefix: str = ""
    upper: bool = False

    def new(self) -> str:
        import secrets  # the local stack's need, not a Lambda function's

        value = secrets.token_hex(self.size)
        return self.prefix + (value.upper() if self.upper else value)


class MerchantAccount(NamedTuple):
    """The merchant's own account with the carrier that a route's calls carry (its field names as
    the route's protocol sends them): which fields there are, which must be set, and which are
    secret (kept in the secret store, never in merchant settings or logs).

    The route's CARRIER_CONFIG entry may hold one account at platform level, which serves every
    merchant (the fallback): `platform_level` is the dotted key of the object holding it in the
    entry ("{carrier}" standing for the carrier's code; "" the entry itself), `settings_names` the
    entry's names for fields it spells otherwise (a carrier's snake_case settings)."""

    fields: tuple[str, ...]
    required: tuple[str, ...]
    secret: tuple[str, ...]
    platform_level: str = ""
    settings_names: Mapping[str, str] = MappingProxyType({})
    #: how the local stack makes up the demo merchant's fields its route's dev credentials do not hold
    dev: Mapping[str, RandomHex] = MappingProxyType({})

    def platform_account(self, entry: Mapping[str, Any], carrier: str) -> dict[str, str]:
        """The account fields the route's CARRIER_CONFIG entry holds at platform level for `carrier`."""
        held: Any = entry
        for key in filter(None, self.platform_level.format(carrier=carrier).split(".")):
            held = held.get(key) if isinstance(held, Mapping) else None
        if not isinstance(held, Mapping):
            return {}
        return {name: str(held[setting]) for name in self.fields
                if held.get(setting := self.settings_names.get(name, name)) not in (None, "")}


class SigningInput(NamedTuple):
    """One option of a `gatewayctl sign` command, passed to the signing function in its place."""

    option: str                        # e.g. "--msg-data"; the value is passed positionally
    help: str | None = None
    #: the name of a protocol constant holding the default; without one the option is required
    default_from: str | None = None
    #: the function takes bytes: the option's text is passed as UTF-8
    utf8: bool = False


class HashedText(NamedTuple):
    """What `--verbose` prints before the signature: the text the digest is computed over."""

    function: str   # a function of the protocol module taking the same inputs as the signature
    help: str


class SigningRecipe(NamedTuple):
    """A `gatewayctl sign <command>`: the protocol's own signing function, never a copy of it."""

    command: str
    function: str   # a function of the protocol module, called with the inputs in order
    doc: str        # the command's help: the formula
    inputs: tuple[SigningInput, ...]
    hashed_text: HashedText | None = None


def _load(reference: str) -> Any:
    module, _, name = reference.partition(":")
    return getattr(import_module(module), name)


@dataclass(frozen=True)
class CarrierDeclaration:
    code: str                      # ours: the `Carrier` value, the callback path, the CARRIER_CONFIG key
    names: Names
    #: "carrier": a platform can name it; "aggregator": routes to the carriers in `reaches` only
    kind: Kind
    #: where it stands in every list of carriers (the `Carrier` enum, tables, the alarms that
    #: infra/resources.json renders per carrier, whose order is checked byte for byte)
    rank: int
    can_redirect: bool             # takes an order with `redirect_to`, else back to the sender only
    can_withdraw: bool             # an instruction can be cancelled
    can_poll: bool                 # answers an interception status query (the overdue-result fallback)
    results_by: tuple[ResultChannel, ...]   # how the final result reaches the gateway
    sources: Sources
    #: "module:Class" of the settings dataclass (its CARRIER_CONFIG entry); None, with `protocol` and
    #: `simulator`, for a carrier with no interception API of its own, reached only through an
    #: aggregator (configured `{"via": <aggregator>}`; its capabilities are the aggregator's)
    settings: str | None
    protocol: str | None           # the module of pure functions the adapter drives (see adapter.py)
    #: settings field -> how the local stack makes up a dev credential for it
    dev_credentials: Mapping[str, RandomHex]
    simulator: str | None          # "module:Class" of the simulated carrier in simulator/
    signing: tuple[SigningRecipe, ...] = ()
    list_price: int | None = None  # fen per interception where policies settle online; None: aggregator
    #: an aggregator's carriers: our carrier code -> the aggregator's own company code for it
    reaches: Mapping[str, str] = field(default_factory=dict)
    #: a return can go back to the sending outlet (not only to the sender's address)
    can_return_to_outlet: bool = False
    #: the merchant's own account the route's calls carry; None: the platform-level account only
    merchant_account: MerchantAccount | None = None

    def __post_init__(self) -> None:
        if self.kind == "aggregator":
            if not self.reaches or self.list_price is not None:
                raise ValueError(f"{self.code}: an aggregator reaches carriers and has no list price of its own")
        elif self.reaches or self.list_price is None:
            raise ValueError(f"{self.code}: a carrier reaches only itself and has a list price")
        if self.protocol is None:
            if self.kind != "carrier" or self.settings or self.simulator or self.dev_credentials or self.signing \
                    or self.results_by or self.can_redirect or self.can_withdraw or self.can_poll \
                    or self.can_return_to_outlet \
                    or set(self.sources) != {NONE_PUBLISHED}:
                raise ValueError(f"{self.code}: a carrier reached only through an aggregator declares no protocol, "
                                 "settings, simulator, credentials, signing or capabilities of its own")
            return
        if not (self.settings and self.simulator):
            raise ValueError(f"{self.code}: a protocol needs its settings and its simulator")
        if not self.results_by or ("poll" in self.results_by and not self.can_poll):
            raise ValueError(f"{self.code}: results come by callback or poll, and polling needs a status query")
        self.sources.check()
        for operation, able in (("cancel", self.can_withdraw), ("query", self.can_poll)):
            if (getattr(self.sources, operation) == NONE_PUBLISHED) == able:
                raise ValueError(f"{self.code}: {operation} is 'none published' exactly when the carrier cannot do it")

    @property
    def via_only(self) -> bool:
        """No interception API of its own: reached only through an aggregator."""
        return self.protocol is None

    def load_settings(self) -> type:
        return _load(self.settings)

    def load_protocol(self) -> ModuleType:
        return import_module(self.protocol)

    def load_simulator(self) -> Any:
        return _load(self.simulator)

    def new_dev_credentials(self) -> dict[str, str]:
        return {name: recipe.new() for name, recipe in self.dev_credentials.items()}


def reached_through_aggregators(code: str, names: Names, rank: int, list_price: int) -> CarrierDeclaration:
    """The declaration of a carrier that publishes no interception API of its own: a platform can
    name it, and an aggregator listing it (its `reaches`) makes the calls; configure it
    `{"via": <aggregator>}`. Its capabilities are the aggregator's."""
    return CarrierDeclaration(
        code=code, names=names, kind="carrier", rank=rank, can_redirect=False, can_withdraw=False,
        can_poll=False, results_by=(), list_price=list_price,
        sources=Sources(*[NONE_PUBLISHED] * len(Sources._fields)), settings=None, protocol=None,
        dev_credentials={}, simulator=None)
