"""The composition root: builds each part of the gateway once per Lambda container (or local
process), with exactly the parts it depends on, and hands them out.

`gateway()` builds from the environment; tests build a `Gateway` with a fixed clock (and carrier
adapters of their own) and install it with `use()`.

Each part imports its module when first built, so a Lambda function loads only the parts its
handlers use: the health check loads neither rules nor carrier protocols, the requeue schedule
no dispatcher.
"""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Mapping

from chalicelib import aws
from chalicelib.clock import Clock, OffsetClock, SystemClock
from chalicelib.config import Settings, dead_letter_queue, settings

if TYPE_CHECKING:
    from chalicelib.api.auth import ApiKeys, OperatorKeys
    from chalicelib.carriers.base import CarrierAdapter
    from chalicelib.dispatch.circuit_breaker import CircuitBreaker
    from chalicelib.dispatch.worker import Dispatcher
    from chalicelib.exports.fee_export_parts import FeeExportParts
    from chalicelib.exports.fee_exports import FeeExports
    from chalicelib.operations.views import Operations
    from chalicelib.queues import Queues
    from chalicelib.store import Store
    from chalicelib.usecases.after_sale_events import AfterSaleEvents
    from chalicelib.usecases.carrier_results import CarrierResults
    from chalicelib.usecases.change_writer import ChangeWriter
    from chalicelib.usecases.claims import Claims
    from chalicelib.usecases.intercepts import InterceptService, TrackingLookup
    from chalicelib.usecases.merchant_settings import MerchantSettingsService
    from chalicelib.usecases.metrics_counting import MetricsCounting
    from chalicelib.usecases.refund_decisions import RefundDecisions
    from chalicelib.webhooks.delivery import CachedEndpoints, WebhookDelivery
    from chalicelib.webhooks.endpoints import WebhookEndpoints
    from chalicelib.webhooks.outbox import WebhookOutbox
    from chalicelib.webhooks.relay import OutboxRelay


class Gateway:
    def __init__(self, settings: Settings, clock: Clock, *, store: Store | None = None,
                 adapters: Mapping[str, CarrierAdapter] | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self._given_store = store
        self._given_adapters = adapters

    # -- AWS and carriers ---------------------------------------------------------------------

    @cached_property
    def store(self) -> Store:
        """Every store over the one table, sharing one DynamoDB client (connection pool, credentials)."""
        from chalicelib.store import Store

        return self._given_store or Store(aws.client("dynamodb", self.settings.is_local), self.settings.table_name,
                                          shards(self.settings))

    @cached_property
    def queues(self) -> Queues:
        from chalicelib.queues import Queues

        return Queues(aws.client("sqs", self.settings.is_local))

    @cached_property
    def s3(self):
        return aws.client("s3", self.settings.is_local)

    @cached_property
    def adapters(self) -> Mapping[str, CarrierAdapter]:
        if self._given_adapters is not None:
            return self._given_adapters
        from chalicelib.carriers import build_adapters
        from chalicelib.carriers.http import CarrierHttp

        return build_adapters(self.settings.carriers, CarrierHttp())

    # -- the record's changes, and the webhooks they owe -----------------------------------------------

    @cached_property
    def outbox(self) -> WebhookOutbox:
        from chalicelib.webhooks.outbox import WebhookOutbox

        return WebhookOutbox(self.queues, self.settings.notify_queue)

    @cached_property
    def changes(self) -> ChangeWriter:
        from chalicelib.usecases.change_writer import ChangeWriter

        return ChangeWriter(self.store.intercepts, self.store.after_sales)

    # -- use cases ----------------------------------------------------------------------------

    @cached_property
    def merchant_settings(self) -> MerchantSettingsService:
        from chalicelib.usecases.merchant_settings import MerchantSettingsService

        return MerchantSettingsService(self.store.merchants, self.clock)

    @cached_property
    def intercepts(self) -> InterceptService:
        from chalicelib.carriers import declarations
        from chalicelib.usecases.intercepts import ConnectedCarriers, InterceptService

        carriers = ConnectedCarriers(codes=frozenset(self.adapters), redirecting=frozenset(
            code for code, adapter in self.adapters.items() if adapter.can_redirect),
            returning_to_outlet=frozenset(
                code for code, adapter in self.adapters.items() if adapter.can_return_to_outlet),
            routes=self.carrier_routes,
            unwithdrawable_routes=frozenset(code for code, declared in declarations().items() if not declared.can_withdraw),
            merchant_accounts=self.merchant_accounts_needed, served_accounts=self.merchant_accounts_served)
        return InterceptService(self.store.intercepts, self.changes, self.merchant_settings, self.queues, self.clock,
                                self.settings.dispatch_queue, carriers,
                                tracking_lookup=carrier_tracking_lookup(self.adapters),
                                after_sales=self.store.after_sales, tracking=self.store.tracking)

    @cached_property
    def after_sale_events(self) -> AfterSaleEvents:
        from chalicelib.usecases.after_sale_events import AfterSaleEvents

        return AfterSaleEvents(self.merchant_settings, self.intercepts)

    @cached_property
    def carrier_results(self) -> CarrierResults:
        from chalicelib.usecases.carrier_results import CarrierResults

        return CarrierResults(self.store.intercepts, self.changes, self.clock)

    @cached_property
    def refund_decisions(self) -> RefundDecisions:
        from chalicelib.usecases.refund_decisions import RefundDecisions

        return RefundDecisions(self.store.intercepts, self.intercepts, self.changes, self.clock,
                               after_sales=self.store.after_sales)

    @cached_property
    def claims(self) -> Claims:
        from chalicelib.usecases.claims import Claims

        return Claims(self.store.claims, self.intercepts, self.clock)

    @cached_property
    def fee_exports(self) -> FeeExports:
        from chalicelib.exports.fee_exports import FeeExports

        config = self.settings
        return FeeExports(self.store.fee_export_runs, self.queues, config.export_parts_queue, config.listing_shards,
                          config.export_slice_seconds, self.s3, config.export_bucket, self.clock)

    @cached_property
    def fee_export_parts(self) -> FeeExportParts:
        from chalicelib.exports.fee_export_parts import FeeExportParts

        return FeeExportParts(self.store.fee_export_runs, self.store.intercepts, self.queues,
                              self.settings.export_parts_queue, self.s3, self.settings.export_bucket, self.clock)

    @cached_property
    def webhook_endpoints(self) -> WebhookEndpoints:
        from chalicelib.webhooks.endpoints import WebhookEndpoints

        return WebhookEndpoints(self.store.webhook_endpoints, self.clock,
                                allow_loopback_http=self.settings.stage in ("local", "test"),
                                loopback_only=self.settings.is_local, changed=self.cached_endpoints.forget)

    @cached_property
    def cached_endpoints(self) -> CachedEndpoints:
        """The container's cache of webhook endpoints, for the notify worker."""
        from chalicelib.webhooks.delivery import CachedEndpoints

        return CachedEndpoints(self.store.webhook_endpoints, self.clock)

    @cached_property
    def api_keys(self) -> ApiKeys:
        """The container's cache of API keys, for every authenticated route."""
        from chalicelib.api.auth import ApiKeys

        return ApiKeys(self.store.platforms, self.clock)

    @cached_property
    def operator_keys(self) -> OperatorKeys:
        """The container's cache of operator keys, for the /v1/operations routes."""
        from chalicelib.api.auth import OperatorKeys

        return OperatorKeys(self.store.operators, self.clock)

    @cached_property
    def operations(self) -> Operations:
        """The operator's view: carriers' circuits, queues, intercepts needing attention, failing webhooks."""
        from chalicelib.operations.views import Operations

        config = self.settings
        return Operations(self.store, self.queues, self.changes, self.clock, dispatch_queue=config.dispatch_queue,
                          notify_queue=config.notify_queue, queue_names=(config.dispatch_queue, config.notify_queue, config.export_parts_queue))

    # -- workers ------------------------------------------------------------------------------

    @cached_property
    def breaker(self) -> CircuitBreaker:
        from chalicelib.dispatch.circuit_breaker import BreakerPolicy, CircuitBreaker

        return CircuitBreaker(self.store.circuits, self.clock,
                              BreakerPolicy(failure_threshold=self.settings.breaker_failure_threshold,
                                            cooldown_seconds=self.settings.breaker_cooldown_seconds))

    @cached_property
    def dispatcher(self) -> Dispatcher:
        from chalicelib.dispatch.worker import Dispatcher, RetryPolicy

        config = self.settings
        return Dispatcher(
            self.store.intercepts, self.changes, self.carrier_results, self.queues, self.clock, self.adapters,
            queue_name=config.dispatch_queue, dead_letter_queue=dead_letter_queue(config.dispatch_queue),
            callback_url=config.callback_url,
            retry=RetryPolicy(max_attempts=config.dispatch_max_attempts,
                              base_seconds=config.dispatch_base_backoff_seconds,
                              max_seconds=config.dispatch_max_backoff_seconds),
            breaker=self.breaker, accounts=self.merchant_accounts,
        )

    @cached_property
    def carrier_routes(self) -> dict[str, str]:
        """Per connected carrier, the route it is configured over (its own code, or an aggregator's)."""
        return {code: adapter.route for code, adapter in self.adapters.items()}

    @cached_property
    def merchant_accounts_needed(self) -> dict:
        """Per carrier whose route takes the merchant's own account: the declared account."""
        from chalicelib.carriers import merchant_accounts

        return merchant_accounts(self.settings.carriers, self.carrier_routes)

    @cached_property
    def merchant_accounts_served(self) -> dict:
        """Per carrier whose route takes the merchant's own account and CARRIER_CONFIG holds one for
        every merchant: the declared account (a merchant's own is still preferred)."""
        from chalicelib.carriers import platform_served_accounts

        return platform_served_accounts(self.settings.carriers, self.carrier_routes)

    @cached_property
    def merchant_accounts(self):
        from chalicelib.dispatch.accounts import MerchantAccounts, secrets_manager_reader

        read_secret = secrets_manager_reader(aws.client("secretsmanager", self.settings.is_local))
        return MerchantAccounts(self.store.merchants, read_secret, self.clock, self.merchant_accounts_needed,
                                served=self.merchant_accounts_served)

    @cached_property
    def relay(self) -> OutboxRelay:
        from chalicelib.webhooks.relay import OutboxRelay

        return OutboxRelay(self.outbox)

    @cached_property
    def metrics_counting(self) -> MetricsCounting:
        from chalicelib.usecases.metrics_counting import MetricsCounting

        return MetricsCounting(self.store.merchant_counters, self.clock)

    @cached_property
    def webhook_delivery(self) -> WebhookDelivery:
        from chalicelib.webhooks.delivery import WebhookDelivery
        from chalicelib.webhooks.sender import WebhookSender

        return WebhookDelivery(self.store.deliveries, self.store.webhook_endpoints, self.cached_endpoints,
                               self.outbox, self.queues,
                               self.clock, SystemClock(),
                               dead_letter_queue=dead_letter_queue(self.settings.notify_queue),
                               send=WebhookSender(self.webhook_endpoints.address_policy).post)

    # -- schedules ------------------------------------------------------------------------------

    def requeue_unsent(self) -> int:
        from chalicelib.schedules.requeue_unsent import requeue_unsent

        return requeue_unsent(self.store.intercepts, self.queues, self.clock, self.settings.dispatch_queue,
                              self.settings.pending_requeue_after_seconds)

    def poll_overdue(self) -> dict[str, int]:
        from chalicelib.schedules.poll_overdue import poll_overdue_results

        return poll_overdue_results(self.store.intercepts, self.adapters, self.carrier_results, self.clock,
                                    self.settings.callback_url, self.settings.poll_submitted_after_seconds,
                                    breaker=self.breaker,
                                    callback_deadline_seconds=self.settings.callback_deadline_seconds,
                                    tracking=self.store.tracking, accounts=self.merchant_accounts)

    def sweep_refund_deadlines(self):
        from chalicelib.schedules.refund_deadlines import sweep_refund_deadlines

        return sweep_refund_deadlines(self.store.intercepts, self.refund_decisions, self.clock)

    def resend_due_webhooks(self) -> int:
        from chalicelib.schedules.resend_webhooks import resend_due_webhooks

        return resend_due_webhooks(self.store.deliveries, self.outbox, self.clock)

    def export_fees_daily(self) -> int:
        from chalicelib.schedules.daily_fee_export import export_previous_day

        return export_previous_day(self.store.platforms, self.fee_exports, self.clock)


def carrier_tracking_lookup(adapters: Mapping[str, CarrierAdapter]) -> TrackingLookup:
    """The stage and scans from the carrier's tracking query; stage `unknown` (the rules pass, the
    carrier decides) when the gateway has no adapter or the carrier cannot answer, so a tracking
    outage never blocks a create."""

    from chalicelib.carriers.base import CarrierUnavailable, Tracking
    from chalicelib.domain.stages import ParcelStage

    def lookup(carrier_code: str, tracking_no: str) -> Tracking:
        adapter = adapters.get(carrier_code)
        if adapter is None:
            return Tracking(ParcelStage.unknown)
        try:
            return adapter.query_tracking(tracking_no)
        except CarrierUnavailable:
            return Tracking(ParcelStage.unknown)

    return lookup


def shards(config: Settings):
    from chalicelib.store import Shards

    return Shards(listing=config.listing_shards, busy=config.busy_shards, merchant=config.merchant_shards,
                  metrics=config.metrics_shards)


def build(config: Settings) -> Gateway:
    """The gateway for `config`. The local stage's clock is system time plus the offset kept in the
    table (`POST /local/clock`), read through the same store every part uses."""
    if not config.is_local:
        return Gateway(config, SystemClock())
    from chalicelib.store import Store

    store = Store(aws.client("dynamodb", local=True), config.table_name, shards(config))
    return Gateway(config, OffsetClock(SystemClock(), store.local_clock.offset_seconds), store=store)


_current: Gateway | None = None


def gateway() -> Gateway:
    global _current
    if _current is None:
        _current = build(settings())
    return _current


def use(replacement: Gateway | None) -> None:
    """Install a gateway built elsewhere (tests), or None to build afresh from the environment."""
    global _current
    _current = replacement
