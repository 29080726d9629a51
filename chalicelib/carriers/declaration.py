"""What a carrier says about itself, said once (modelled on karrio's `PluginMetadata`).

Each carrier package (`chalicelib/carriers/<code>/__init__.py`) holds one `CarrierDeclaration`, and
everything that used to list carriers reads the declarations instead: the registry and its
adapters, the `Carrier` enum, the platform policies' list prices, the simulator's carrier table,
`gatewayctl sign` and `gatewayctl carriers`, the local stack's dev credentials and the table in
docs/carriers.md.

Every Lambda function imports the declarations (the `Carrier` enum is built from them), so a
declaration is data only: this module and a carrier's `__init__.py` import the standard library and
the carrier's settings dataclass, nothing else. The protocol (and with it the HTTP layer, `requests`
and the parsers) and the simulator are named as import paths and loaded when they are first needed.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field, fields
from importlib import import_module
from types import ModuleType
from typing import Any, Literal, Mapping

Kind = Literal["carrier", "aggregator"]
ResultChannel = Literal["callback", "poll"]

MODELLED = "modelled"
PUBLISHED = "published: "


@dataclass(frozen=True)
class Names:
    zh: str
    en: str


@dataclass(frozen=True)
class Sources:
    """Where each part of the protocol comes from: `"published: <document or SDK file>"`, or
    `"modelled"` where the carrier publishes nothing and the module's constants stand in for the
    real contract until it is known."""

    intercept: str
    cancel: str
    query: str
    track: str
    callback: str
    signing: str

    def __post_init__(self) -> None:
        for part in fields(self):
            source = getattr(self, part.name)
            if source != MODELLED and not (source.startswith(PUBLISHED) and source[len(PUBLISHED):].strip()):
                raise ValueError(f"source of {part.name} must be {MODELLED!r} or {PUBLISHED!r} + where: {source!r}")


@dataclass(frozen=True)
class RandomHex:
    """How the local stack makes up a dev credential: `prefix` + `size` random bytes in hex."""

    size: int
    prefix: str = ""
    upper: bool = False

    def new(self) -> str:
        value = secrets.token_hex(self.size)
        return self.prefix + (value.upper() if self.upper else value)


@dataclass(frozen=True)
class SigningInput:
    """One option of a `gatewayctl sign` command, passed to the signing function in its place."""

    option: str                        # e.g. "--msg-data"; the value is passed positionally
    help: str | None = None
    #: the name of a protocol constant holding the default; without one the option is required
    default_from: str | None = None
    #: the function takes bytes: the option's text is passed as UTF-8
    utf8: bool = False


@dataclass(frozen=True)
class HashedText:
    """What `--verbose` prints before the signature: the text the digest is computed over."""

    function: str   # a function of the protocol module taking the same inputs as the signature
    help: str


@dataclass(frozen=True)
class SigningRecipe:
    """A `gatewayctl sign <command>`: the protocol's own signing function, never a copy of it."""

    command: str
    function: str   # a function of the protocol module, called with the inputs in order
    doc: str        # the command's help: the formula
    inputs: tuple[SigningInput, ...]
    hashed_text: HashedText | None = None


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
    settings: type                 # the settings dataclass: the keys of its CARRIER_CONFIG entry
    protocol: str                  # the module of pure functions the adapter drives (see adapter.py)
    #: settings field -> how the local stack makes up a dev credential for it
    dev_credentials: Mapping[str, RandomHex]
    simulator: str                 # "module:Class" of the simulated carrier in simulator/
    signing: tuple[SigningRecipe, ...] = ()
    list_price: int | None = None  # fen per interception where policies settle online; None: aggregator
    #: an aggregator's carriers: our carrier code -> the aggregator's own company code for it
    reaches: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind == "aggregator":
            if not self.reaches or self.list_price is not None:
                raise ValueError(f"{self.code}: an aggregator reaches carriers and has no list price of its own")
        elif self.reaches or self.list_price is None:
            raise ValueError(f"{self.code}: a carrier reaches only itself and has a list price")
        if not self.results_by or ("poll" in self.results_by and not self.can_poll):
            raise ValueError(f"{self.code}: results come by callback or poll, and polling needs a status query")
        settings = {part.name for part in fields(self.settings)}
        if not set(self.dev_credentials) <= settings:
            unknown = sorted(set(self.dev_credentials) - settings)
            raise ValueError(f"{self.code}: dev credentials for settings it does not have: {unknown}")

    def load_protocol(self) -> ModuleType:
        return import_module(self.protocol)

    def load_simulator(self) -> Any:
        module, _, name = self.simulator.partition(":")
        return getattr(import_module(module), name)

    def new_dev_credentials(self) -> dict[str, str]:
        return {name: recipe.new() for name, recipe in self.dev_credentials.items()}
