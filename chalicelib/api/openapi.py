"""The OpenAPI 3.1 document, generated from the pydantic models and one table of operations.

Adding a route: add one `Operation` to `OPERATIONS`. tests/unit/test_openapi.py fails while a
Chalice route is missing here or an entry names a route the app does not have.
"""
from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model

from chalicelib.domain.lifecycle import OPEN
from chalicelib.domain.models import (
    KEPT_APART,
    AfterSale,
    AfterSaleParcel,
    AfterSaleType,
    Carrier,
    Claim,
    Intercept,
    InterceptStatus,
    MerchantSettings,
    Outlet,
    ReasonItem,
    RedirectAddress,
    RefundStatus,
)
from chalicelib.domain.requests import (
    AdvanceRequest,
    AfterSaleEventRequest,
    CancelRequest,
    ClaimRequest,
    ClaimResolutionRequest,
    CreateInterceptRequest,
    EndpointRequest,
    FeeExportRequest,
    MerchantSettingsUpdate,
    RedriveRequest,
    RefundDecisionRequest,
)
from chalicelib.domain.requests import RedirectAddress as RedirectAddressBody
from chalicelib.rules.pricing import FeeSource

TITLE = "Parcel Intercept Gateway"
VERSION = "1.0.0"
REF = "#/components/schemas/"

# -- response models (what the routes answer; the request models live in chalicelib.domain.models) -------


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: str
    message: str


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer. 400 adds `fields: [{field, problem}]`, 422 `reasons: [{code, message}]`,
    409 `parcel_already_intercepted` the existing `intercept_id`."""

    error: ErrorDetail


class Deadlines(BaseModel):
    processing: str = Field(description="ISO-8601 UTC; the merchant's processing window ends")


class FeeQuote(BaseModel):
    """The price quoted when the interception was requested (chalicelib/rules/pricing.py)."""

    amount: int | None = Field(description="fen; null: no price known (no subscribed outlet, no list price)")
    currency: Literal["CNY"]
    settlement_mode: Literal["offline_outlet", "online"]
    charged_on: Literal["success", "attempt"]
    outlet: Outlet | None = Field(description="the subscribed outlet whose agreed fee is quoted (offline_outlet)")


class FeeCharged(FeeQuote):
    """The fee charged, fixed once when the carrier's result arrives."""

    amount: int = Field(description="fen")
    source: FeeSource = Field(description="carrier: the amount the carrier named (SF's `amount`); quote: the "
                                          "quoted amount (`fee_quote`)")


#: Record fields stored as plain dicts, documented by their shape.
_SHAPED = {"fee_quote": FeeQuote | None, "fee": FeeCharged | None}

_HIDDEN = {"platform_id", "policy", "dispatch_attempts", "cancel_attempts", "carrier_accepted", "processing_deadline"}


def _record_fields(record: type, hidden: set[str]) -> dict[str, tuple[Any, Any]]:
    """A record's fields (chalicelib.domain.records) as `create_model` takes them. The stored redirect
    address is documented as the body's (the same fields, with the constraints it was validated by),
    and the fee fields (`_SHAPED`) by their shape."""
    hints = typing.get_type_hints(record)
    fields = {}
    for item in dataclasses.fields(record):
        if item.name in hidden:
            continue
        hint = hints[item.name]
        if hint == RedirectAddress | None:
            hint = RedirectAddressBody | None
        hint = _SHAPED.get(item.name, hint)
        if item.default is not dataclasses.MISSING:
            default: Any = item.default
        elif item.default_factory is not dataclasses.MISSING:
            default = Field(default_factory=item.default_factory)
        else:
            default = ...
        fields[item.name] = (hint, default)
    return fields


_VIEW_FIELDS = _record_fields(Intercept, _HIDDEN)

#: An intercept as `GET /v1/intercepts/{id}` returns it (with its event history, claims and the
#: parcel's tracking scans).
InterceptView = create_model("InterceptView", __doc__="An interception record with its history.",
                             deadlines=(Deadlines, ...), **_VIEW_FIELDS)
#: An intercept as listed (no event history, claims or tracking).
InterceptSummary = create_model("InterceptSummary", __doc__="An interception record, without its history.",
                                deadlines=(Deadlines, ...),
                                **{name: spec for name, spec in _VIEW_FIELDS.items() if name not in KEPT_APART})


class InterceptPage(BaseModel):
    items: list[InterceptSummary]  # type: ignore[valid-type]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: dict[str, str]


class ListQuery(BaseModel):
    """Query parameters of GET /v1/intercepts."""

    merchant_id: str | None = Field(None, min_length=1, max_length=64)
    status: InterceptStatus | None = None
    carrier: Carrier | None = None
    refund_status: RefundStatus | None = None
    after_sale_id: str | None = Field(None, min_length=1, max_length=64)
    created_from: str | None = Field(None, json_schema_extra={"format": "date-time"})
    created_to: str | None = Field(None, json_schema_extra={"format": "date-time"})
    tracking_no: str | None = Field(None, pattern=r"^[A-Za-z0-9]{6,32}$", description=(
        "every interception of this parcel the platform made, in any status (at every carrier, or at "
        "`carrier`); the other filters apply to them"))
    limit: int | None = Field(None, ge=1, le=200)
    cursor: str | None = None


class Eligibility(BaseModel):
    """The dry run's answer: what a create with the same body would answer, cost and likely achieve."""

    eligible: bool
    reasons: list[ReasonItem]
    warnings: list[ReasonItem]
    parcel_stage: str
    success_likelihood: str
    fee_quote: FeeQuote


class TargetEntry(Eligibility):
    """One target of an after-sale: its own verdict (the dry run's fields), and its interception when it was sent."""

    carrier: str
    tracking_no: str
    intercept: InterceptSummary | None = Field(  # type: ignore[valid-type]
        description="the interception created for it; null when refused (and in a dry run)")


class AfterSaleBlock(BaseModel):
    id: str = Field(description="the platform's after_sale_id")
    after_sale_type: AfterSaleType = Field(description="refund_only (仅退款) or return_and_refund, as created")
    refund_status: RefundStatus
    deadlines: Deadlines
    success_count: int
    failed_count: int = Field(description="parcels whose interception failed, and targets refused at the door")
    cancelled_count: int
    pending_count: int


class AfterSaleAnswer(BaseModel):
    """The answer of a create with `targets` (202) and of its dry run (200): the same shape."""

    after_sale: AfterSaleBlock
    intercepts: list[TargetEntry]


class RuleCondition(BaseModel):
    code: Literal["enabled", "after_sale_type", "amount", "carriers", "goods_type"]
    matched: bool
    message: str


class AfterSaleEventAnswer(BaseModel):
    """What the gateway did with a refund-requested event, and why. A redelivery of an event that
    created interceptions answers the same, with `Idempotent-Replayed: true`."""

    event_id: str
    merchant_id: str
    after_sale_id: str
    matched: bool = Field(description="the merchant's auto_intercept rule covers the event: every condition matched")
    action: Literal["intercept_requested", "none"]
    conditions: list[RuleCondition] = Field(description=(
        "every condition of the rule, in order; only `enabled` when the merchant has no settings or no rule"))
    result: AfterSaleAnswer | None = Field(description=(
        "when matched: the answer of the create it made (POST /v1/intercepts with the event's parcels as targets)"))


AfterSaleParcelView = create_model(
    "AfterSaleParcelView", __doc__="One parcel of an after-sale, with its intercept.",
    intercept=(InterceptSummary | None, None), **_record_fields(AfterSaleParcel, set()))  # type: ignore[valid-type]


AfterSaleView = create_model(
    "AfterSaleView", __doc__="An after-sale with its parcels and its refund track.",
    deadlines=(Deadlines, ...), success_count=(int, ...), failed_count=(int, ...), cancelled_count=(int, ...),
    pending_count=(int, ...), parcels=(list[AfterSaleParcelView], ...),
    **_record_fields(AfterSale, {"platform_id", "policy", "processing_deadline", "parcels"}))


class MetricsFigures(BaseModel):
    """A merchant's figures over the range, from counters (chalicelib/usecases/merchant_metrics.py)."""

    intercepts: int
    by_status: dict[str, int]
    success_rate: float | None = Field(description="intercepted (incl. returned) / intercepts with a result")
    failure_reasons: dict[str, int]
    cancellation_rate: float | None
    return_rate: float | None = Field(description="returned / intercepted (incl. returned)")
    median_seconds_to_result: float | None = Field(description="the geometric middle of the bounds below")
    median_seconds_to_result_bounds: list[float] | None = Field(
        description="[low, high): the histogram bucket(s) that hold the exact median (at most 19 % wide)")
    median_seconds_to_refund: float | None
    median_seconds_to_refund_bounds: list[float] | None
    express_refunds: int
    fees_fen: int = Field(description=(
        "the fees charged for these intercepts (fen); counted for fees fixed since the gateway began counting them"))


class MetricsInterval(BaseModel):
    """One interval of the series: its figures, per carrier and in total."""

    from_: str = Field(alias="from")
    to: str
    total: MetricsFigures
    by_carrier: dict[str, MetricsFigures]


class MerchantMetrics(BaseModel):
    merchant_id: str
    from_: str = Field(alias="from", description="the range's start, taken down to the UTC hour (the UTC day "
                                                 "with interval=day)")
    to: str = Field(description="the range's end, taken up to the UTC hour (the UTC day with interval=day)")
    total: MetricsFigures
    by_carrier: dict[str, MetricsFigures]
    series: list[MetricsInterval] | None = Field(None, description=(
        "with `interval`: every interval of the range, oldest first, those without intercepts included"))


class FeeExportRun(BaseModel):
    """A fee export run: a part per shard of the charged index x slice of the period, run on the
    `fee-export-parts` queue; the part that counts the last publishes the manifest."""

    run_id: str
    period: str
    status: Literal["running", "assembling"] = Field(description="assembling: every part is done, the summary "
                                                                 "and manifest are being written")
    parts_total: int
    parts_done: int
    started_at: str
    updated_at: str = Field(description="when the run last counted a part")


class FeeExportFile(BaseModel):
    name: str = Field(description="summary.csv, or detail-<shard>-<slice>.csv: one part's detail rows (a part "
                                  "without rows has no file)")
    key: str
    rows: int
    bytes: int
    sha256: str


class FeeExportManifest(BaseModel):
    model_config = ConfigDict(extra="allow")

    period: str
    platform_id: str
    run_id: str
    generated_at: str
    files: list[FeeExportFile]
    totals: dict[str, Any] = Field(description="rows, fee_fen, fee_quote_fen, fee_difference_fen, currency")


class FeeExportView(BaseModel):
    manifest: FeeExportManifest | None = Field(description="the current export; null until a first run is published")
    downloads: dict[str, str] = Field(description="file name -> a download link")
    downloads_expire_in_seconds: int
    in_progress: FeeExportRun | None = Field(description="a newer run still being written; null when none")


MetricsQuery = create_model(
    "MetricsQuery", __doc__="Query parameters of GET /v1/merchants/{merchant_id}/metrics (at most 93 days).",
    **{name: (str, Field(json_schema_extra={"format": "date-time"})) for name in ("from", "to")},
    interval=(Literal["day", "hour"] | None, Field(None, description=(
        "add `series`: the figures per UTC day (at most 93) or hour (at most 31 days of them)"))))


# -- the operator's view (/v1/operations, an operator key) ---------------------------------------


class Breaker(BaseModel):
    state: Literal["closed", "open", "half_open"]
    consecutive_failures: int
    open_until: str | None = Field(description="open: when the cool-down ends and a probe may go; else null")


class CarrierCircuit(BaseModel):
    carrier: str
    breaker: Breaker


class CarriersView(BaseModel):
    """Every carrier the gateway knows, closed when it has never failed."""

    carriers: list[CarrierCircuit]


class DeadLetterQueue(BaseModel):
    name: str
    depth: int


class QueueView(BaseModel):
    name: str
    depth: int = Field(description="messages waiting (approximate, as SQS counts)")
    in_flight: int = Field(description="received by a worker and not yet deleted")
    dead_letter: DeadLetterQueue


class QueuesView(BaseModel):
    queues: list[QueueView]


class RedriveAnswer(BaseModel):
    queue: str
    moved: int = Field(description="sent back to the queue, then deleted from its DLQ")
    dropped: int = Field(description="dispatch work already finished (a result or a cancel came): deleted, not sent")
    left: int = Field(description="still in the DLQ: unreadable, a withdrawal to confirm by hand, or refused by SQS")


OperatorInterceptSummary = create_model(
    "OperatorInterceptSummary", __base__=InterceptSummary, __doc__="A listed interception, with its platform.",
    platform_id=(str, ...))


class OperatorInterceptPage(BaseModel):
    items: list[OperatorInterceptSummary]  # type: ignore[valid-type]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")


class OperatorInterceptQuery(BaseModel):
    """Query parameters of GET /v1/operations/intercepts (most recently changed first)."""

    status: Literal[tuple(sorted(status.value for status in OPEN))] | None = Field(  # type: ignore[valid-type]
        None, description="an open status; needs_attention when not given")
    limit: int | None = Field(None, ge=1, le=200)
    cursor: str | None = None


class EndpointHealth(BaseModel):
    platform_id: str
    url: str
    enabled: bool
    disabled_reason: str | None
    failing_deliveries: int = Field(description=(
        "pending deliveries whose retries outgrew a queue delay (next attempt over 15 minutes off: about the "
        "fifth failure in a row); counted up to 1000 over all platforms"))
    last_failure_at: str | None
    last_error: str | None


class EndpointsView(BaseModel):
    """Webhook endpoints that are disabled or have failing deliveries."""

    endpoints: list[EndpointHealth]


# -- the table -----------------------------------------------------------------------------------

BEARER = "platformKey"
OPERATOR = "operatorKey"
CARRIER_SIGNATURE = "carrierSignature"
JSON_ANY: dict = {}


@dataclass(frozen=True)
class Header:
    name: str
    description: str
    required: bool = True


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    status: int = 200
    response: type[BaseModel] | dict | None = None
    request: type[BaseModel] | dict | None = None
    request_types: tuple[str, ...] = ("application/json",)
    request_required: bool = True
    query: type[BaseModel] | None = None
    headers: tuple[Header, ...] = ()
    errors: tuple[int, ...] = ()
    security: str | None = BEARER
    #: the success answer's media type, or several (the console's assets: scripts and stylesheets)
    response_type: str | tuple[str, ...] = "application/json"
    tags: tuple[str, ...] = ("intercepts",)
    extra: dict = field(default_factory=dict)


OPERATIONS: list[Operation] = [
    Operation("GET", "/health", "Readiness of the table and queues", response=Health, errors=(503,),
              security=None, tags=("operations",)),
    Operation("GET", "/openapi.json", "This OpenAPI document", response=JSON_ANY, security=None,
              tags=("operations",)),
    Operation("GET", "/docs", "Human-readable API documentation", response_type="text/html", security=None,
              tags=("operations",)),
    Operation("GET", "/console", "The operations console (a static page; it signs in with an API key kept in "
              "the browser session and calls this API)", response_type="text/html", security=None,
              tags=("console",)),
    Operation("GET", "/console/assets/{name}", "One of the console's scripts or stylesheets (an ETag; "
              "If-None-Match with it answers 304)", response_type=("text/javascript", "text/css"), errors=(404,),
              security=None, tags=("console",)),
    Operation("POST", "/v1/intercepts", "Request an interception (one parcel: the record; `targets`: "
              "the after-sale and one entry per target, AfterSaleAnswer)", status=202,
              response={"oneOf": [InterceptView, AfterSaleAnswer]},
              request=CreateInterceptRequest, errors=(400, 401, 409, 422),
              headers=(Header("Idempotency-Key", "1-255 printable characters; a retry with the same key and "
                                                 "body returns the first answer with `Idempotent-Replayed: true`"),)),
    Operation("GET", "/v1/intercepts", "List interceptions, newest first", response=InterceptPage,
              query=ListQuery, errors=(400, 401)),
    Operation("GET", "/v1/intercepts/{intercept_id}", "An interception with its status history",
              response=InterceptView, errors=(401, 404)),
    Operation("POST", "/v1/intercepts/{intercept_id}/cancel", "Cancel before a carrier result (irreversible)",
              response=InterceptView, request=CancelRequest, request_required=False, errors=(400, 401, 404, 409)),
    Operation("POST", "/callbacks/{carrier}", "Carrier result callback, verified by the carrier's signature",
              response=JSON_ANY, request=JSON_ANY,
              request_types=("application/json", "application/x-www-form-urlencoded", "text/plain"),
              errors=(400, 401, 404), security=CARRIER_SIGNATURE, tags=("carriers",)),
    Operation("POST", "/v1/eligibility", "Dry run of a create: eligibility, reasons, stage, likelihood, fee quote",
              response={"oneOf": [Eligibility, AfterSaleAnswer]}, request=CreateInterceptRequest, errors=(400, 401),
              tags=("eligibility",)),
    Operation("POST", "/v1/after-sale-events", "The platform's refund-requested event: the gateway intercepts "
              "when the merchant's auto_intercept rule covers it (idempotent on `event_id`)",
              response=AfterSaleEventAnswer, request=AfterSaleEventRequest, errors=(400, 401, 409, 422),
              tags=("after-sale",)),
    Operation("GET", "/v1/after-sales/{after_sale_id}", "An after-sale with its parcels and refund track",
              response=AfterSaleView, errors=(401, 404), tags=("after-sale",)),
    Operation("POST", "/v1/after-sales/{after_sale_id}/refund-decision", "The merchant's refund decision on an "
              "after-sale", response=AfterSaleView, request=RefundDecisionRequest, errors=(400, 401, 404, 409),
              tags=("after-sale",)),
    Operation("GET", "/v1/merchants/{merchant_id}/settings", "A merchant's settings with this platform",
              response=MerchantSettings, errors=(400, 401, 404), tags=("merchants",)),
    Operation("PUT", "/v1/merchants/{merchant_id}/settings", "Create or replace a merchant's settings (versioned)",
              response=MerchantSettings, request=MerchantSettingsUpdate, errors=(400, 401, 409), tags=("merchants",)),
    Operation("GET", "/v1/merchants/{merchant_id}/metrics", "A merchant's interception figures for a time range",
              response=MerchantMetrics, query=MetricsQuery, errors=(400, 401, 404), tags=("merchants",)),
    Operation("POST", "/v1/exports/fees", "Start a run of the fee reconciliation export of a day or month (409 "
              "`export_in_progress`, naming the run, while another is in progress)",
              status=202, response=FeeExportRun, request=FeeExportRequest, errors=(400, 401, 409), tags=("exports",)),
    Operation("GET", "/v1/exports/fees/{period}", "A fee export's manifest and download links, and the progress of "
              "a newer run (404 when neither exists)",
              response=FeeExportView, errors=(400, 401, 404), tags=("exports",)),
    Operation("POST", "/v1/intercepts/{intercept_id}/refund-decision", "The merchant's refund decision",
              response=InterceptView, request=RefundDecisionRequest, errors=(400, 401, 404, 409), tags=("after-sale",)),
    Operation("POST", "/v1/intercepts/{intercept_id}/claims", "Claim for loss or damage after a successful interception",
              status=201, response=Claim, request=ClaimRequest, errors=(400, 401, 404, 409), tags=("after-sale",)),
    Operation("POST", "/v1/intercepts/{intercept_id}/claims/{claim_id}/resolution", "Record a claim's outcome",
              response=Claim, request=ClaimResolutionRequest, errors=(400, 401, 404, 409), tags=("after-sale",)),
    Operation("GET", "/v1/intercepts/{intercept_id}/webhook-deliveries", "Webhooks sent about an interception",
              response=JSON_ANY, errors=(401, 404), tags=("webhooks",)),
    Operation("PUT", "/v1/webhook-endpoint", "Register the platform's webhook endpoint; returns a new secret",
              response=JSON_ANY, request=EndpointRequest, errors=(400, 401), tags=("webhooks",)),
    Operation("GET", "/v1/webhook-endpoint", "The platform's webhook endpoint",
              response=JSON_ANY, errors=(401, 404), tags=("webhooks",)),
    Operation("GET", "/v1/operations/carriers", "Operator: every carrier's circuit breaker", response=CarriersView,
              errors=(401,), security=OPERATOR, tags=("operator",)),
    Operation("GET", "/v1/operations/queues", "Operator: the queues' depths, with their dead-letter queues",
              response=QueuesView, errors=(401,), security=OPERATOR, tags=("operator",)),
    Operation("POST", "/v1/operations/queues/{name}/redrive", "Operator: move a queue's dead-lettered messages "
              "back (a dispatch reopens its needs_attention intercept)", response=RedriveAnswer,
              request=RedriveRequest, request_required=False, errors=(400, 401, 404), security=OPERATOR,
              tags=("operator",)),
    Operation("GET", "/v1/operations/intercepts", "Operator: every platform's interceptions in an open status "
              "(needs_attention by default)", response=OperatorInterceptPage, query=OperatorInterceptQuery,
              errors=(400, 401), security=OPERATOR, tags=("operator",)),
    Operation("GET", "/v1/operations/webhook-endpoints", "Operator: webhook endpoints disabled or failing",
              response=EndpointsView, errors=(401,), security=OPERATOR, tags=("operator",)),
    Operation("POST", "/local/clock", "Local stage only: move the gateway's clock forward",
              response=JSON_ANY, request=AdvanceRequest, errors=(400, 404), security=None, tags=("operations",)),
]

# -- building the document -----------------------------------------------------------------------


class _Schemas:
    """Collects component schemas from models; each model is named once under components."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {}

    def ref(self, model: type | dict, mode: str) -> dict:
        if isinstance(model, dict):
            if "oneOf" in model:  # either of several models (a create with or without `targets`)
                return {"oneOf": [self.ref(one, mode) for one in model["oneOf"]]}
            return model
        if isinstance(model, type) and issubclass(model, BaseModel):
            schema = model.model_json_schema(ref_template=REF + "{model}", mode=mode)
        else:  # a record (a dataclass)
            schema = TypeAdapter(model).json_schema(ref_template=REF + "{model}", mode=mode)
        self.components.update(schema.pop("$defs", {}))
        self.components[model.__name__] = schema
        return {"$ref": REF + model.__name__}


def _parameters(operation: Operation, schemas: _Schemas) -> list[dict]:
    parameters = [{"name": name.strip("{}"), "in": "path", "required": True, "schema": {"type": "string",
                   "minLength": 1}} for name in operation.path.split("/") if name.startswith("{")]
    parameters += [{"name": header.name, "in": "header", "required": header.required,
                    "description": header.description,
                    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"}}
                   for header in operation.headers]
    if operation.query is not None:
        schema = operation.query.model_json_schema(ref_template=REF + "{model}")
        schemas.components.update(schema.pop("$defs", {}))
        for name, prop in schema["properties"].items():
            options = prop.get("anyOf", [prop])
            value = next((option for option in options if option.get("type") != "null"), prop)
            value = {key: item for key, item in {**prop, **value}.items() if key not in ("anyOf", "default", "title")}
            parameters.append({"name": name, "in": "query", "required": False, "schema": value})
    return parameters


def _operation(operation: Operation, schemas: _Schemas) -> dict:
    body: dict[str, Any] = {"summary": operation.summary, "tags": list(operation.tags),
                            "operationId": _operation_id(operation)}
    parameters = _parameters(operation, schemas)
    if parameters:
        body["parameters"] = parameters
    if operation.request is not None:
        schema = schemas.ref(operation.request, "validation")
        body["requestBody"] = {"required": operation.request_required,
                               "content": {kind: {"schema": schema} for kind in operation.request_types}}
    success: dict[str, Any] = {"description": {200: "OK", 201: "Created", 202: "Accepted"}[operation.status]}
    if operation.response_type == "application/json":
        success["content"] = {"application/json": {"schema": schemas.ref(operation.response or JSON_ANY,
                                                                         "serialization")}}
    else:
        kinds = (operation.response_type,) if isinstance(operation.response_type, str) else operation.response_type
        success["content"] = {kind: {"schema": {"type": "string"}} for kind in kinds}
    responses = {str(operation.status): success}
    error = schemas.ref(ErrorBody, "serialization")
    if operation.security == CARRIER_SIGNATURE:
        error = JSON_ANY  # each carrier's own acknowledgement format
    for status in operation.errors:
        responses[str(status)] = {"description": ERROR_DESCRIPTIONS[status],
                                  "content": {"application/json": {"schema": error}}}
    body["responses"] = responses
    if operation.security:
        body["security"] = [{operation.security: []}]
    body.update(operation.extra)
    return body


ERROR_DESCRIPTIONS = {
    400: "Malformed body, header or query; `fields` names each problem",
    401: "Missing or unknown credentials",
    404: "Not found for this tenant",
    409: "Conflict: idempotency key reused, parcel already intercepted, or not cancellable",
    422: "Ineligible: `reasons` lists every failing rule",
    503: "A dependency does not answer",
}


def _operation_id(operation: Operation) -> str:
    words = [part.strip("{}") for part in operation.path.split("/") if part and not part.startswith("{")]
    return operation.method.lower() + "_" + "_".join(word.replace(".", "_") for word in words or ["root"]) + (
        "_by_id" if operation.path.endswith("}") else "")


def build_document(operations: list[Operation] | None = None) -> dict:
    schemas = _Schemas()
    paths: dict[str, dict] = {}
    for operation in operations or OPERATIONS:
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(operation, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION,
                 "description": "Money is integer fen; times are ISO-8601 UTC. Every /v1 call needs "
                                "`Authorization: Bearer <platform key>`, but /v1/operations, which needs an "
                                "operator key instead."},
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.components.items())),
            "securitySchemes": {
                BEARER: {"type": "http", "scheme": "bearer", "description": "the platform's API key"},
                OPERATOR: {"type": "http", "scheme": "bearer",
                           "description": "an operator key (`gatewayctl operators create-key`); no platform key"},
                CARRIER_SIGNATURE: {"type": "apiKey", "in": "header", "name": "x-datadigest",
                                    "description": "each carrier's own signature header (ZTO: x-datadigest)"},
            },
        },
    }


@lru_cache(maxsize=1)
def document_json() -> str:
    return json.dumps(build_document(), ensure_ascii=False)


DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Parcel Intercept Gateway API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
.op{border:1px solid #ddd;border-radius:6px;margin:1rem 0;padding:.5rem 1rem}
.m{font-weight:700;text-transform:uppercase;margin-right:.5rem}.get{color:#0a6}.post{color:#06c}
pre{background:#f6f6f6;padding:.5rem;overflow:auto;font-size:13px}
</style></head><body>
<h1>Parcel Intercept Gateway API</h1>
<p>The machine-readable document is <a href="openapi.json">openapi.json</a> (OpenAPI 3.1).</p>
<div id="ops">Loading&hellip;</div>
<script>
fetch("openapi.json").then(r => r.json()).then(doc => {
  const out = [], esc = s => String(s).replace(/[&<>]/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;"}[c]));
  for (const [path, methods] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(methods)) {
    const params = (op.parameters || []).map(p => `${esc(p.name)} (${p.in}${p.required ? ", required" : ""})`);
    const body = op.requestBody ? Object.values(op.requestBody.content)[0].schema.$ref || "" : "";
    out.push(`<div class="op"><span class="m ${method}">${method}</span><code>${esc(path)}</code>
      <p>${esc(op.summary)}</p>${params.length ? "<p>Parameters: " + params.join(", ") + "</p>" : ""}
      ${body ? "<p>Body: <code>" + esc(body.split("/").pop()) + "</code></p>" : ""}
      <p>Responses: ${Object.entries(op.responses).map(([s, r]) => esc(s + " " + r.description)).join("; ")}</p></div>`);
  }
  out.push("<h2>Schemas</h2>");
  for (const [name, schema] of Object.entries(doc.components.schemas))
    out.push(`<h3 id="${esc(name)}">${esc(name)}</h3><pre>${esc(JSON.stringify(schema, null, 2))}</pre>`);
  document.getElementById("ops").innerHTML = out.join("");
});
</script></body></html>
"""
