"""The merge template agrees with the code: committed file current, names shared, policies resolvable."""
from __future__ import annotations

import json
from pathlib import Path

from chalice.app import SQSEventConfig
from chalice.utils import to_cfn_resource_name

from app import app
from chalicelib.config import dead_letter_queue
from chalicelib.store.schema import INDEXES, TTL_ATTRIBUTE
from infra.resources import API_STAGE, queue_logical_id, render

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = json.loads((ROOT / "infra" / "resources.json").read_text())
CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())
RESOURCES = TEMPLATE["Resources"]


def test_committed_template_is_generated_from_the_code():
    assert (ROOT / "infra" / "resources.json").read_text() == render(app), "run `make resources`"


def test_table_has_every_index_ttl_pitr_and_on_demand_billing_under_the_configured_name():
    table = RESOURCES["InterceptTable"]["Properties"]
    assert table["TableName"] == CONFIG["environment_variables"]["TABLE_NAME"]
    assert {index["IndexName"] for index in table["GlobalSecondaryIndexes"]} == set(INDEXES)
    assert table["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["BillingMode"] == "PAY_PER_REQUEST"


def test_every_sqs_handler_has_its_queue_a_dlq_with_redrive_and_partial_batch_responses():
    sources = [source for source in app.event_sources if isinstance(source, SQSEventConfig)]
    assert sources
    for source in sources:
        queue = RESOURCES[queue_logical_id(source.queue)]["Properties"]
        assert queue["QueueName"] == source.queue
        dlq_id = queue_logical_id(dead_letter_queue(source.queue))
        assert RESOURCES[dlq_id]["Properties"]["QueueName"] == dead_letter_queue(source.queue)
        assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": [dlq_id, "Arn"]}
        function = to_cfn_resource_name(source.name)
        events = RESOURCES[function]["Properties"]["Events"]
        assert events[f"{function}SqsEventSource"]["Properties"]["FunctionResponseTypes"] == [
            "ReportBatchItemFailures"]


def test_queue_names_in_the_chalice_config_are_the_templates():
    variables = CONFIG["environment_variables"]
    for name in (variables["DISPATCH_QUEUE"], variables["NOTIFY_QUEUE"], variables["EXPORT_PARTS_QUEUE"]):
        assert RESOURCES[queue_logical_id(name)]["Properties"]["QueueName"] == name


def test_each_queue_hides_a_message_for_six_times_its_workers_timeout():
    for source in (source for source in app.event_sources if isinstance(source, SQSEventConfig)):
        timeouts = {CONFIG["stages"][stage].get("lambda_functions", {}).get(source.name, {}).get("lambda_timeout", 60)
                    for stage in ("dev", "prod")}
        queue = RESOURCES[queue_logical_id(source.queue)]["Properties"]
        assert queue["VisibilityTimeout"] >= 6 * max(timeouts), source.name


def test_the_fee_export_parts_worker_has_lambdas_whole_fifteen_minutes_and_one_part_a_batch():
    parts = next(source for source in app.event_sources if source.name == "export_fee_parts")
    assert parts.batch_size == 1
    for stage in ("dev", "prod"):
        assert CONFIG["stages"][stage]["lambda_functions"]["export_fee_parts"]["lambda_timeout"] == 900


def test_export_bucket_is_private_encrypted_and_expires_old_exports():
    bucket = RESOURCES["ExportBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert bucket["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] > 0


def test_alarms_cover_each_dlq_each_function_and_the_circuit_metric():
    alarms = {name: res["Properties"] for name, res in RESOURCES.items() if res["Type"] == "AWS::CloudWatch::Alarm"}
    metrics = {(alarm["Namespace"], alarm["MetricName"]) for alarm in alarms.values()}
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible") in metrics
    assert ("ParcelInterceptGateway", "CarrierCircuitOpen") in metrics
    functions = {"APIHandler"} | {to_cfn_resource_name(source.name) for source in app.event_sources}
    assert {f"{function}ErrorsAlarm" for function in functions} <= set(alarms)


def _references(node):
    if isinstance(node, dict):
        if "Fn::GetAtt" in node:
            yield node["Fn::GetAtt"][0]
        for key, value in node.items():
            if key == "Fn::Sub" and isinstance(value, str):
                yield from (part.split("}")[0].split(".")[0] for part in value.split("${")[1:]
                            if not part.startswith("AWS::"))
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def test_stage_policies_are_identical_and_name_only_template_resources_with_no_wildcard_actions():
    dev = json.loads((ROOT / ".chalice" / "policy-dev.json").read_text())
    prod = json.loads((ROOT / ".chalice" / "policy-prod.json").read_text())
    assert dev == prod
    for stage in ("dev", "prod"):
        assert CONFIG["stages"][stage]["autogen_policy"] is False
    assert set(_references(dev)) <= set(RESOURCES)
    actions = [action for statement in dev["Statement"] for action in statement["Action"]]
    assert not [action for action in actions if "*" in action]
    assert all(statement["Resource"] != "*" for statement in dev["Statement"])


def test_every_function_logs_to_a_group_with_bounded_retention():
    functions = {"APIHandler"} | {to_cfn_resource_name(source.name) for source in app.event_sources}
    for function in functions:
        group = RESOURCES[f"{function}LogGroup"]["Properties"]
        assert group["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{{function}}}"}
        assert 0 < group["RetentionInDays"] <= 400


def test_callback_base_url_uses_the_stages_api_gateway_stage():
    for stage in ("dev", "prod"):
        assert CONFIG["stages"][stage]["api_gateway_stage"] == API_STAGE
    url = RESOURCES["Dispatch"]["Properties"]["Environment"]["Variables"]["PUBLIC_BASE_URL"]["Fn::Sub"]
    assert url.endswith("/" + API_STAGE)
