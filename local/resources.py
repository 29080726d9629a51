"""Create the gateway's AWS resources (in moto) and the local stage's demo tenant."""
from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Mapping

from botocore.exceptions import ClientError

from chalicelib.api.auth import hash_key
from chalicelib.config import Settings, dead_letter_queue
from chalicelib.dispatch.accounts import SECRET_PREFIX
from chalicelib.domain.models import Carrier, CarrierAccount, MerchantSettings, Outlet, Platform, PolicyName
from chalicelib.store import Store, VersionConflict
from chalicelib.store.operators import Operator
from chalicelib.store.schema import TTL_ATTRIBUTE, create_table_params

#: Deliveries before SQS moves a message to its DLQ (the dispatch worker moves exhausted ones itself).
MAX_RECEIVE_COUNT = 10

DEMO_PLATFORM = Platform(id="demo", name="Demo platform", policy=PolicyName.kuaishou)
DEMO_MERCHANT_ID = "demo-merchant"
#: One demo platform per platform policy, each with its fixed API key (`demo-key` is DEMO_PLATFORM's).
POLICY_DEMOS: dict[str, Platform] = {
    f"demo-{policy.value}": Platform(id=f"demo-{policy.value}", name=f"Demo {policy.value.title()}", policy=policy)
    for policy in (PolicyName.kuaishou, PolicyName.pinduoduo, PolicyName.douyin)
}
#: The local stage's fixed operator key (the /v1/operations routes), beside the platforms' `demo-key`.
DEMO_OPERATOR_KEY = "demo-operator-key"
DEMO_OPERATOR = Operator(name="demo operator")
#: The interception fee the demo merchant agreed with each carrier's outlet, fen.
DEMO_OUTLET_FEE = 300


def create_resources(dynamodb: Any, sqs: Any, s3: Any, settings: Settings, visibility_timeout: int = 30) -> None:
    """The table, the queues with their DLQs and the export bucket. What already exists (restored from
    the local stack's saved state) is kept with its data; what is missing is created: a table without
    an index added since it was saved gets the index, a queue takes the attributes asked for."""
    _create_table(dynamodb, create_table_params(settings.table_name))
    for queue in (settings.dispatch_queue, settings.notify_queue, settings.export_parts_queue):
        dlq_url = _create_queue(sqs, dead_letter_queue(queue), {})
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        _create_queue(sqs, queue, {
            "VisibilityTimeout": str(visibility_timeout),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT}),
        })
    region = s3.meta.region_name
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    try:
        s3.create_bucket(Bucket=settings.export_bucket, **location)
    except ClientError as error:
        if _code(error) != "BucketAlreadyOwnedByYou":
            raise


def _create_table(dynamodb: Any, params: dict) -> None:
    """Create the table, or give the existing one the indexes and the stream it lacks; its TTL on either way."""
    name = params["TableName"]
    try:
        dynamodb.create_table(**params)
    except ClientError as error:
        if _code(error) != "ResourceInUseException":
            raise
        described = dynamodb.describe_table(TableName=name)["Table"]
        existing = {index["IndexName"] for index in described.get("GlobalSecondaryIndexes", [])}
        for index in params["GlobalSecondaryIndexes"]:
            if index["IndexName"] not in existing:
                dynamodb.update_table(TableName=name, AttributeDefinitions=params["AttributeDefinitions"],
                                      GlobalSecondaryIndexUpdates=[{"Create": index}])
        stream = params.get("StreamSpecification")
        if stream and not described.get("StreamSpecification", {}).get("StreamEnabled"):
            # a table saved before its stream specification was kept (or before the relay existed)
            dynamodb.update_table(TableName=name, StreamSpecification=stream)
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") != "ENABLED" or ttl.get("AttributeName") != TTL_ATTRIBUTE:
        dynamodb.update_time_to_live(TableName=name,
                                     TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE})


def _create_queue(sqs: Any, name: str, attributes: dict[str, str]) -> str:
    """The queue's URL, after creating it or (if it exists) setting `attributes` on it."""
    try:
        return sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    except ClientError as error:
        if _code(error) not in ("QueueAlreadyExists", "QueueNameExists"):
            raise
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    if attributes:
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    return url


def _code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def store_carrier_accounts(secretsmanager: Any, accounts: Mapping[str, Mapping[str, str]],
                           routes: Mapping[str, str]) -> dict[Carrier, CarrierAccount]:
    """The demo merchant's own carrier accounts as its settings hold them: the secret fields written
    to the secret store (moto's, rewritten at every start: the saved local state holds no secrets)
    under the gateway's prefix, the others inline."""
    from chalicelib.carriers import declarations

    held = {}
    for code, account in accounts.items():
        secret = declarations()[routes[code]].merchant_account.secret
        hidden = {name: value for name, value in account.items() if name in secret}
        name = f"{SECRET_PREFIX}{DEMO_MERCHANT_ID}/{code}" if hidden else None
        if name:
            try:
                secretsmanager.create_secret(Name=name, SecretString=json.dumps(hidden))
            except ClientError as error:
                if _code(error) != "ResourceExistsException":
                    raise
                secretsmanager.put_secret_value(SecretId=name, SecretString=json.dumps(hidden))
        held[Carrier(code)] = CarrierAccount(fields={name: value for name, value in account.items()
                                                     if name not in secret}, secret_ref=name)
    return held


def seed_demo(store: Store, api_key: str, now_iso: str,
              carrier_accounts: Mapping[Carrier, CarrierAccount] | None = None,
              operator_key: str = DEMO_OPERATOR_KEY) -> None:
    """The local stage's demo platforms: `api_key` on the Kuaishou policy, and `demo-kuaishou`,
    `demo-pinduoduo`, `demo-douyin` one per policy; each has a merchant set up for every carrier,
    with its own account for each carrier in `carrier_accounts`. And the operator key."""
    for key, platform in ((api_key, DEMO_PLATFORM), *POLICY_DEMOS.items()):
        seed_platform(store, platform, key, demo_merchant(now_iso, carrier_accounts))
    store.operators.put_key(hash_key(operator_key), DEMO_OPERATOR, now_iso)


def seed_platform(store: Store, platform: Platform, api_key: str, merchant: MerchantSettings) -> None:
    """A platform, its API key and one merchant's settings (kept as they are if already stored, but
    given the carrier accounts of `merchant` that the stored settings lack)."""
    store.platforms.put(platform)
    store.platforms.put_api_key(hash_key(api_key), platform)
    try:
        store.merchants.save(platform.id, merchant, expected_version=merchant.version - 1)
    except VersionConflict:
        stored = store.merchants.get(platform.id, merchant.merchant_id)
        lacking = {carrier: account for carrier, account in merchant.carrier_accounts.items()
                   if stored and carrier not in stored.carrier_accounts}
        if lacking:
            store.merchants.save(platform.id, replace(
                stored, carrier_accounts={**stored.carrier_accounts, **lacking}, version=stored.version + 1),
                expected_version=stored.version)


def demo_merchant(now_iso: str, carrier_accounts: Mapping[Carrier, CarrierAccount] | None = None) -> MerchantSettings:
    """A merchant that passes every platform's rules for a general single-package order of up to
    100000 fen: agreement signed, every carrier enabled with its e-waybill and a subscribed outlet."""
    return MerchantSettings(
        merchant_id=DEMO_MERCHANT_ID, shop_status="operating", agreement_signed_at=now_iso,
        interception_enabled=True, amount_min=1, amount_max=100_000,
        enabled_carriers=list(Carrier), ewaybill_carriers=list(Carrier),
        outlets={carrier: Outlet(outlet_id=f"{carrier.value}-demo-outlet", name=f"{carrier.value.upper()} demo outlet",
                                 fee=DEMO_OUTLET_FEE) for carrier in Carrier},
        carrier_accounts=dict(carrier_accounts or {}),
        version=1, updated_at=now_iso,
    )
