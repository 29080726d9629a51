"""Carrier adapters and the registry that builds them from configuration.

Adding a carrier: write `chalicelib/carriers/<code>.py` (see docs/carriers.md) and add one line to
`REGISTRY` below. Each factory takes (carrier code, that module's configuration, the HTTP layer).

A carrier can be reached through an aggregator instead of directly: `{"yto": {"via": "kuaidi100"},
"kuaidi100": {...account...}}` builds the kuaidi100 module for `yto` with the kuaidi100 account.
An aggregator's own entry (a module in AGGREGATORS) is only an account, not a carrier of its own.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Callable, Mapping

if TYPE_CHECKING:  # functions that only read records import this package for the parcel stages
    from chalicelib.carriers.base import CarrierAdapter
    from chalicelib.carriers.http import CarrierHttp

    AdapterFactory = Callable[[str, dict, CarrierHttp], CarrierAdapter]


def _carrier(name: str):
    """A carrier's module, imported when its first adapter is built: every Lambda function imports
    this package (the parcel stages live in it), only those that talk to carriers need the protocols."""
    return import_module(f"chalicelib.carriers.{name}")


REGISTRY: dict[str, AdapterFactory] = {
    "zto": lambda code, config, http: _carrier("zto").ZtoAdapter(_carrier("zto").ZtoSettings(**config), http),
    "yto": lambda code, config, http: _carrier("yto").YtoAdapter(_carrier("yto").YtoSettings(**config), http),
    "sto": lambda code, config, http: _carrier("sto").StoAdapter(_carrier("sto").StoSettings(**config), http),
    "jt": lambda code, config, http: _carrier("jt").JtAdapter(_carrier("jt").JtSettings(**config), http),
    "sf": lambda code, config, http: _carrier("sf").SfAdapter(_carrier("sf").SfSettings(**config), http),
    "kuaidi100": lambda code, config, http: _carrier("kuaidi100").Kuaidi100Adapter(
        code, _carrier("kuaidi100").Kuaidi100Settings(**config), http),
}

AGGREGATORS = frozenset({"kuaidi100"})


def build_adapters(carrier_config: Mapping[str, dict], http: CarrierHttp) -> dict[str, CarrierAdapter]:
    """Adapters for every carrier that has a module (its own or its aggregator's) and a configuration."""
    adapters: dict[str, CarrierAdapter] = {}
    for code, config in carrier_config.items():
        module = config.get("via", code)
        if code in AGGREGATORS or module not in REGISTRY:
            continue
        settings = dict(carrier_config.get(module, {})) if "via" in config else dict(config)
        adapters[code] = REGISTRY[module](code, settings, http)
    return adapters
