"""Builds the gateway's parts once per Lambda container (or local process) and hands them out.

Tests build their own `Gateway` with a fixed clock and install it with `use()`.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import boto3

from chalicelib.aftersale import AfterSaleService
from chalicelib.carriers import build_adapters
from chalicelib.carriers.base import CarrierAdapter
from chalicelib.carriers.http import CarrierHttp
from chalicelib.clock import Clock, SystemClock
from chalicelib.config import Settings, dead_letter_queue, settings
from chalicelib.dispatch import Dispatcher, RetryPolicy
from chalicelib.intercepts import InterceptService
from chalicelib.localclock import OffsetClock
from chalicelib.queues import Queues
from chalicelib.store import Store
from chalicelib.webhooks.delivery import WebhookDelivery
from chalicelib.webhooks.endpoints import WebhookEndpoints


@dataclass
class Gateway:
    settings: Settings
    clock: Clock

    @cached_property
    def store(self) -> Store:
        store = Store(boto3.client("dynamodb"), self.settings.table_name)
        store.outbox_listener = lambda deliveries: self.webhook_delivery.enqueue(deliveries)
        return store

    @cached_property
    def queues(self) -> Queues:
        return Queues(boto3.client("sqs"))

    @cached_property
    def adapters(self) -> dict[str, CarrierAdapter]:
        return build_adapters(self.settings.carriers, CarrierHttp())

    @cached_property
    def intercepts(self) -> InterceptService:
        return InterceptService(self.store, self.queues, self.clock, self.settings.dispatch_queue,
                                frozenset(self.adapters))

    @cached_property
    def dispatcher(self) -> Dispatcher:
        config = self.settings
        return Dispatcher(
            self.store, self.queues, self.intercepts, self.clock, self.adapters,
            queue_name=config.dispatch_queue, dead_letter_queue=dead_letter_queue(config.dispatch_queue),
            callback_url=config.callback_url,
            retry=RetryPolicy(max_attempts=config.dispatch_max_attempts,
                              base_seconds=config.dispatch_base_backoff_seconds,
                              max_seconds=config.dispatch_max_backoff_seconds),
        )


    @cached_property
    def aftersale(self) -> AfterSaleService:
        return AfterSaleService(self.store, self.intercepts, self.clock)

    @cached_property
    def webhook_endpoints(self) -> WebhookEndpoints:
        return WebhookEndpoints(self.store, self.clock, allow_loopback_http=self.settings.stage in ("local", "test"))

    @cached_property
    def webhook_delivery(self) -> WebhookDelivery:
        return WebhookDelivery(self.store, self.queues, self.clock, SystemClock(),
                               queue_name=self.settings.notify_queue,
                               dead_letter_queue=dead_letter_queue(self.settings.notify_queue))


_current: Gateway | None = None


def gateway() -> Gateway:
    global _current
    if _current is None:
        built = Gateway(settings=settings(), clock=SystemClock())
        if built.settings.is_local:
            built.clock = OffsetClock(SystemClock(), lambda: built.store.clock_offset_seconds())
        _current = built
    return _current


def use(replacement: Gateway | None) -> None:
    """Install a gateway built elsewhere (tests), or None to build afresh from the environment."""
    global _current
    _current = replacement
