"""Storage: the single DynamoDB table, one store per kind of item, composed over one `Table`.

`Store` holds them all; each part of the gateway is given only the stores it uses (see
chalicelib/runtime.py). The codec (`codec.py`) and the key shapes (`keys.py`) are the only ones;
domain decisions (which status is open, which webhooks a change emits) come in as arguments.
"""
from __future__ import annotations

from typing import Any

from chalicelib.store.after_sales import AfterSaleStore
from chalicelib.store.circuits import CircuitStore
from chalicelib.store.claims import ClaimStore
from chalicelib.store.deliveries import DeliveryStore
from chalicelib.store.fee_export_runs import FeeExportRunStore
from chalicelib.store.intercepts import IdempotencyRecord, InterceptStore, ListQuery
from chalicelib.store.keys import Shards
from chalicelib.store.local_clock import LocalClockStore
from chalicelib.store.merchant_counters import MerchantCounterStore
from chalicelib.store.merchant_settings import MerchantStore
from chalicelib.store.operators import OperatorStore
from chalicelib.store.platforms import PlatformStore
from chalicelib.store.refusals import (
    IdempotencyKeyUsed,
    InvalidCursor,
    ParcelAlreadyIntercepted,
    ParcelClaimedElsewhere,
    StaleState,
    VersionConflict,
)
from chalicelib.store.table import Table
from chalicelib.store.tracking import TrackingStore
from chalicelib.store.webhook_endpoints import WebhookEndpointStore

__all__ = ["IdempotencyKeyUsed", "IdempotencyRecord", "InvalidCursor", "ListQuery",
           "ParcelAlreadyIntercepted", "ParcelClaimedElsewhere", "Shards", "StaleState", "Store", "VersionConflict"]


class Store:
    def __init__(self, client: Any, table_name: str, shards: Shards = Shards()) -> None:
        self.table = Table(client, table_name)
        self.platforms = PlatformStore(self.table)
        self.operators = OperatorStore(self.table)
        self.merchants = MerchantStore(self.table)
        self.intercepts = InterceptStore(self.table, shards)
        self.after_sales = AfterSaleStore(self.table)
        self.deliveries = DeliveryStore(self.table, shards)
        self.webhook_endpoints = WebhookEndpointStore(self.table)
        self.claims = ClaimStore(self.table)
        self.tracking = TrackingStore(self.table)
        self.merchant_counters = MerchantCounterStore(self.table, shards)
        self.circuits = CircuitStore(self.table)
        self.fee_export_runs = FeeExportRunStore(self.table)
        self.local_clock = LocalClockStore(self.table)

    def ping(self) -> None:
        self.table.describe()
