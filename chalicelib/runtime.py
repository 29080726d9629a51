"""Builds the gateway's parts once per Lambda container (or local process) and hands them out.

Tests build their own `Gateway` with a fixed clock and install it with `use()`.

Each part imports its module when first built, so a Lambda function loads only the parts its
handlers use: the health check loads neither rules nor carrier protocols, the requeue schedule
no dispatcher.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import boto3

from chalicelib.clock import Clock, SystemClock
from chalicelib.config import Settings, dead_letter_queue, settings

if TYPE_CHECKING:
    from chalicelib.carriers.base import CarrierAdapter
    from chalicelib.dispatch.circuit_breaker import CircuitBreaker
    from chalicelib.dispatch.worker import Dispatcher
    from chalicelib.exports.fee_exports import ExportService
    from chalicelib.queues import Queues
    from chalicelib.store import Store
    from chalicelib.usecases.after_sales import AfterSaleService
    from chalicelib.usecases.intercepts import InterceptService, StageLookup
    from chalicelib.usecases.merchant_settings import MerchantService
    from chalicelib.webhooks.delivery import WebhookDelivery
    from chalicelib.webhooks.endpoints import WebhookEndpoints


@dataclass
class Gateway:
    settings: Settings
    clock: Clock

    @cached_property
    def dynamodb(self):
        """The one DynamoDB client every store shares (connection pool, credentials, retries)."""
        return boto3.client("dynamodb")

    @cached_property
    def store(self) -> Store:
        from chalicelib.store import Store

        store = Store(self.dynamodb, self.settings.table_name)
        store.outbox_listener = lambda deliveries: self.webhook_delivery.enqueue(deliveries)
        return store

    @cached_property
    def queues(self) -> Queues:
        from chalicelib.queues import Queues

        return Queues(boto3.client("sqs"))

    @cached_property
    def adapters(self) -> dict[str, CarrierAdapter]:
        from chalicelib.carriers import build_adapters
        from chalicelib.carriers.http import CarrierHttp

        return build_adapters(self.settings.carriers, CarrierHttp())

    @cached_property
    def intercepts(self) -> InterceptService:
        from chalicelib.usecases.intercepts import InterceptService

        return InterceptService(self.store, self.queues, self.clock, self.settings.dispatch_queue,
                                frozenset(self.adapters), stage_lookup=carrier_stage_lookup(self.adapters),
                                redirect_carriers=frozenset(code for code, adapter in self.adapters.items()
                                                            if adapter.can_redirect))

    @cached_property
    def exports(self) -> ExportService:
        from chalicelib.exports.fee_exports import ExportService

        return ExportService(self.store, boto3.client("s3"), self.settings.export_bucket, self.clock)

    @cached_property
    def merchants(self) -> MerchantService:
        from chalicelib.store.merchants import MerchantStore
        from chalicelib.usecases.merchant_settings import MerchantService

        return MerchantService(MerchantStore(self.dynamodb, self.settings.table_name), self.clock)

    @cached_property
    def breaker(self) -> CircuitBreaker:
        from chalicelib.dispatch.circuit_breaker import BreakerPolicy, CircuitBreaker
        from chalicelib.store.circuits import BreakerStore

        return CircuitBreaker(BreakerStore(self.dynamodb, self.settings.table_name), self.clock,
                              BreakerPolicy(failure_threshold=self.settings.breaker_failure_threshold,
                                            cooldown_seconds=self.settings.breaker_cooldown_seconds))

    @cached_property
    def dispatcher(self) -> Dispatcher:
        from chalicelib.dispatch.worker import Dispatcher, RetryPolicy

        config = self.settings
        return Dispatcher(
            self.store, self.queues, self.intercepts, self.clock, self.adapters,
            queue_name=config.dispatch_queue, dead_letter_queue=dead_letter_queue(config.dispatch_queue),
            callback_url=config.callback_url,
            retry=RetryPolicy(max_attempts=config.dispatch_max_attempts,
                              base_seconds=config.dispatch_base_backoff_seconds,
                              max_seconds=config.dispatch_max_backoff_seconds),
            breaker=self.breaker,
            batch_scope=self.webhook_delivery.collected,
        )

    @cached_property
    def aftersale(self) -> AfterSaleService:
        from chalicelib.usecases.after_sales import AfterSaleService

        return AfterSaleService(self.store, self.intercepts, self.clock)

    @cached_property
    def webhook_endpoints(self) -> WebhookEndpoints:
        from chalicelib.webhooks.endpoints import WebhookEndpoints

        return WebhookEndpoints(self.store, self.clock, allow_loopback_http=self.settings.stage in ("local", "test"),
                                loopback_only=self.settings.is_local)

    @cached_property
    def webhook_delivery(self) -> WebhookDelivery:
        from chalicelib.webhooks.delivery import WebhookDelivery

        return WebhookDelivery(self.store, self.queues, self.clock, SystemClock(),
                               queue_name=self.settings.notify_queue,
                               dead_letter_queue=dead_letter_queue(self.settings.notify_queue))


def carrier_stage_lookup(adapters: dict[str, CarrierAdapter]) -> StageLookup:
    """The stage from the carrier's tracking query; `unknown` (the rules pass, the carrier decides)
    when the adapter has no query or the carrier cannot answer, so a tracking outage never blocks a create."""

    from chalicelib.carriers.base import CarrierUnavailable
    from chalicelib.domain.stages import ParcelStage

    def lookup(carrier_code: str, tracking_no: str) -> ParcelStage:
        adapter = adapters.get(carrier_code)
        if adapter is None:
            return ParcelStage.unknown
        try:
            return adapter.query_stage(tracking_no)
        except CarrierUnavailable:
            return ParcelStage.unknown

    return lookup


_current: Gateway | None = None


def gateway() -> Gateway:
    global _current
    if _current is None:
        built = Gateway(settings=settings(), clock=SystemClock())
        if built.settings.is_local:
            from chalicelib.api.local_clock import OffsetClock

            built.clock = OffsetClock(SystemClock(), lambda: built.store.clock_offset_seconds())
        _current = built
    return _current


def use(replacement: Gateway | None) -> None:
    """Install a gateway built elsewhere (tests), or None to build afresh from the environment."""
    global _current
    _current = replacement
