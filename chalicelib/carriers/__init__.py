"""Carrier adapters and the registry that builds them from configuration.

Adding a carrier: write `chalicelib/carriers/<code>.py` (see docs/carriers.md) and add one line to
`REGISTRY` below.
"""
from __future__ import annotations

from typing import Callable, Mapping

from chalicelib.carriers import zto
from chalicelib.carriers.base import CarrierAdapter
from chalicelib.carriers.http import CarrierHttp

AdapterFactory = Callable[[dict, CarrierHttp], CarrierAdapter]

REGISTRY: dict[str, AdapterFactory] = {
    "zto": lambda config, http: zto.ZtoAdapter(zto.ZtoSettings(**config), http),
}


def build_adapters(carrier_config: Mapping[str, dict], http: CarrierHttp) -> dict[str, CarrierAdapter]:
    """Adapters for every carrier that has both a module and a configuration."""
    return {code: REGISTRY[code](dict(config), http) for code, config in carrier_config.items() if code in REGISTRY}
