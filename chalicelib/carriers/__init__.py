"""The carriers, each declared once in its own package, and the adapters built from configuration.

Every sub-package here is a carrier or an aggregator: `chalicelib/carriers/<code>/`, whose
`__init__.py` holds only its `DECLARATION` (see declaration.py), with `settings.py` (its
CARRIER_CONFIG entry), `units.py` (its codes in the gateway's vocabulary) and `protocol.py` (the
pure functions the one adapter in adapter.py drives). The registry finds the packages itself, so
adding a carrier lists it nowhere (see docs/carriers.md).

A carrier can be reached through an aggregator instead of directly: `{"yto": {"via": "kuaidi100"},
"kuaidi100": {...account...}}` builds the kuaidi100 protocol acting as `yto` with the kuaidi100
account. An aggregator's own entry is only an account, not a carrier of its own.

Reading the declarations imports no protocol: every Lambda function reads them (the `Carrier` enum
is built from them), only those that talk to carriers build adapters.
"""
from __future__ import annotations

import pkgutil
from functools import cache, partial
from importlib import import_module
from types import MappingProxyType
from typing import TYPE_CHECKING, Callable, Iterator, Mapping

if TYPE_CHECKING:
    from chalicelib.carriers.base import CarrierAdapter
    from chalicelib.carriers.declaration import CarrierDeclaration
    from chalicelib.carriers.http import CarrierHttp

    AdapterFactory = Callable[[str, dict, CarrierHttp | None], CarrierAdapter]


@cache
def declarations() -> Mapping[str, CarrierDeclaration]:
    """Every carrier package's declaration by code, in rank order."""
    found = []
    for package in pkgutil.iter_modules(__path__):
        if package.ispkg:
            declaration = import_module(f"{__name__}.{package.name}").DECLARATION
            if declaration.code != package.name:
                raise ValueError(f"chalicelib/carriers/{package.name}/ declares the code {declaration.code!r}")
            found.append(declaration)
    return MappingProxyType({declaration.code: declaration
                             for declaration in sorted(found, key=lambda declaration: declaration.rank)})


def carrier_declarations() -> list[CarrierDeclaration]:
    """The carriers a platform can name (not the aggregators), in rank order."""
    return [declaration for declaration in declarations().values() if declaration.kind == "carrier"]


def carrier_codes() -> list[str]:
    return [declaration.code for declaration in carrier_declarations()]


def routes_to(code: str) -> list[str]:
    """The routes that can reach a carrier, in rank order: its own protocol (unless it has none) and
    every aggregator whose declaration lists it. Derived from the declarations, so a carrier's
    routes are declared once, where the route is."""
    known = declarations()
    own = [code] if code in known and not known[code].via_only and known[code].kind == "carrier" else []
    return own + [other.code for other in known.values() if other.kind == "aggregator" and code in other.reaches]


def merchant_accounts(carrier_config: Mapping[str, dict], routes: Mapping[str, str]) -> dict:
    """Per carrier whose route takes the merchant's own account: its declared `MerchantAccount`,
    unless the route's platform-level entry in CARRIER_CONFIG holds an account for the carrier
    (the fallback, where the declaration says: `MerchantAccount.platform_account`), which serves
    every merchant without one of its own (see `platform_served_accounts`)."""
    served = platform_served_accounts(carrier_config, routes)
    return {code: spec for code, spec in _declared_accounts(routes).items() if code not in served}


def platform_served_accounts(carrier_config: Mapping[str, dict], routes: Mapping[str, str]) -> dict:
    """Per carrier whose route takes the merchant's own account and whose platform-level entry holds
    one: its declared `MerchantAccount` (a merchant's own account is still preferred where it has one)."""
    return {code: spec for code, spec in _declared_accounts(routes).items()
            if spec.platform_account(carrier_config.get(routes[code]) or {}, code)}


def _declared_accounts(routes: Mapping[str, str]) -> dict:
    return {code: spec for code, route in routes.items() if (spec := declarations()[route].merchant_account)}


def _build(declaration: CarrierDeclaration, code: str, config: dict, http: CarrierHttp | None) -> CarrierAdapter:
    from chalicelib.carriers.adapter import ProtocolAdapter

    return ProtocolAdapter(declaration, declaration.load_settings()(**config), http, code=code)


class _Registry(Mapping[str, "AdapterFactory"]):
    """Per declared code, a factory `(carrier code, that declaration's configuration, HTTP layer) ->
    adapter`; the carrier code differs from the declaration's only for an aggregator."""

    def __getitem__(self, code: str) -> AdapterFactory:
        return partial(_build, declarations()[code])

    def __iter__(self) -> Iterator[str]:
        return iter(declarations())

    def __len__(self) -> int:
        return len(declarations())


REGISTRY: Mapping[str, AdapterFactory] = _Registry()


def build_adapters(carrier_config: Mapping[str, dict], http: CarrierHttp) -> dict[str, CarrierAdapter]:
    """Adapters for every carrier that has a protocol (its own or its aggregator's) and a configuration.

    A carrier configured `{"via": <aggregator>}` gets the aggregator's protocol with the
    aggregator's entry as its account; the aggregator's own entry builds nothing; codes no package
    declares are skipped.
    """
    adapters: dict[str, CarrierAdapter] = {}
    known = declarations()
    for code, config in carrier_config.items():
        speaker = config.get("via", code)   # whose protocol the calls for `code` speak
        if speaker not in known or (code in known and known[code].kind == "aggregator"):
            continue
        if known[speaker].via_only:
            raise ValueError(f"{code} has no interception API of its own; configure it "
                             f"{{\"via\": <an aggregator that reaches it>}}")
        settings = dict(carrier_config.get(speaker, {})) if "via" in config else dict(config)
        adapters[code] = REGISTRY[speaker](code, settings, http)
    return adapters
