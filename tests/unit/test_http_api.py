"""The HTTP API replaces the REST API in the packaged template with every route, and Chalice's
handler answers the HTTP API's payload 1.0 events as it answers the REST API's."""
from __future__ import annotations

import base64
import copy
import json
from types import SimpleNamespace

import pytest
from chalice.deploy import models
from chalice.deploy.swagger import CFNSwaggerGenerator
from chalice.package import PackageOptions, SAMTemplateGenerator

from app import app
from infra import http_api
from infra.resources import API_STAGE, build
from tests.conftest import KEY_A, MERCHANT, auth, intercept_body


class _Region:
    region_name = "us-east-1"

    def endpoint_dns_suffix(self, service, region):
        return "amazonaws.com"

    def service_principal(self, service, region, suffix):
        return f"{service}.{suffix}"


def _deep_merge(base: dict, extra: dict) -> dict:
    merged = dict(base)
    for key, value in extra.items():
        merged[key] = _deep_merge(merged[key], value) if isinstance(value, dict) and key in merged else value
    return merged


def packaged_template() -> dict:
    """What `chalice package --merge-template infra/resources.json` writes, by Chalice's own REST API
    generator (the build of the deployment zip left out)."""
    template = {"Resources": {"ApiHandler": {"Type": "AWS::Serverless::Function", "Properties": {"Handler": "app.app"}}},
                "Outputs": {}}
    rest_api = models.RestAPI(resource_name="rest_api", swagger_doc=CFNSwaggerGenerator().generate_swagger(app),
                              minimum_compression="", api_gateway_stage=API_STAGE, endpoint_type="EDGE",
                              lambda_function=SimpleNamespace(resource_name="api_handler"))
    SAMTemplateGenerator(None, PackageOptions(_Region())).dispatch(rest_api, template)
    return _deep_merge(template, build(app))


def _app_routes() -> set[tuple[str, str]]:
    return {(method, path) for path, methods in app.routes.items() for method in methods}


def _routes(http: dict) -> set[tuple[str, str]]:
    paths = http["Properties"]["DefinitionBody"]["paths"]
    return {(method.upper(), path) for path, operations in paths.items() for method in operations
            if method != "x-amazon-apigateway-any-method"}


def test_http_api_has_every_route_the_app_declares_each_to_the_api_handler_in_payload_1_0():
    template = http_api.transform(packaged_template(), "http")
    api = template["Resources"][http_api.HTTP_API]
    assert api["Type"] == "AWS::Serverless::HttpApi"
    assert _routes(api) == _app_routes()
    paths = api["Properties"]["DefinitionBody"]["paths"]
    integrations = [operation["x-amazon-apigateway-integration"] for operations in paths.values()
                    for operation in operations.values()]
    assert {json.dumps(integration, sort_keys=True) for integration in integrations} == {json.dumps({
        "type": "aws_proxy", "httpMethod": "POST", "payloadFormatVersion": "1.0", "timeoutInMillis": 30_000,
        "uri": {"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
                           "${APIHandler.Arn}/invocations"}}, sort_keys=True)}
    for path in http_api.CATCH_ALL_PATHS:
        assert set(paths[path]) == {"x-amazon-apigateway-any-method"}


def test_http_api_replaces_the_rest_api_everywhere_it_was_named():
    template = http_api.transform(packaged_template(), "http")
    assert not [name for name, resource in template["Resources"].items()
                if resource["Type"] in ("AWS::Serverless::Api", "AWS::ApiGateway::RestApi")]
    assert "RestAPI" not in json.dumps(template)
    assert template["Outputs"]["EndpointURL"] == {
        "Value": {"Fn::Sub": "https://${HttpAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/api/"}}
    assert template["Outputs"]["HttpAPIId"] == {"Value": {"Ref": "HttpAPI"}}
    assert template["Resources"]["APIHandlerInvokePermission"]["Properties"]["SourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${HttpAPI}/*"}
    callback_url = template["Resources"]["Dispatch"]["Properties"]["Environment"]["Variables"]["PUBLIC_BASE_URL"]
    assert callback_url == {"Fn::Sub": "https://${HttpAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/api"}


def test_http_api_stage_logs_every_request_to_a_group_with_retention_and_is_throttled_by_parameters():
    template = http_api.transform(packaged_template(), "http")
    properties = template["Resources"][http_api.HTTP_API]["Properties"]
    assert properties["StageName"] == API_STAGE
    log_group = properties["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0]
    assert 0 < template["Resources"][log_group]["Properties"]["RetentionInDays"] <= 400
    assert "$context.requestId" in properties["AccessLogSettings"]["Format"]
    throttle = properties["DefaultRouteSettings"]
    assert template["Parameters"][throttle["ThrottlingRateLimit"]["Ref"]]["Default"] == 10_000
    assert template["Parameters"][throttle["ThrottlingBurstLimit"]["Ref"]]["Default"] == 5_000


def test_rest_leaves_the_template_as_chalice_wrote_it():
    template = packaged_template()
    original = copy.deepcopy(template)
    assert http_api.transform(template, "rest") == original
    assert template["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]


def test_an_unknown_api_choice_is_refused():
    with pytest.raises(ValueError, match="api must be one of"):
        http_api.transform(packaged_template(), "websocket")


def test_main_rewrites_the_packaged_template_in_place(tmp_path):
    path = tmp_path / "sam.json"
    path.write_text(json.dumps(packaged_template()))
    http_api.main(["--api", "http", str(path)])
    assert http_api.HTTP_API in json.loads(path.read_text())["Resources"]


# -- Chalice's handler behind an HTTP API (payload format 1.0) -------------------------------------

def payload_1_0(method: str, route: str, path_parameters: dict | None = None, query: dict | None = None,
                headers: dict | None = None, body: str | None = None, is_base64: bool = False) -> dict:
    """The event an HTTP API sends a Lambda proxy integration in payload format 1.0 (header names
    lower-cased, the stage in `path`)."""
    path = route
    for name, value in (path_parameters or {}).items():
        path = path.replace("{%s}" % name, value)
    headers = {name.lower(): value for name, value in (headers or {}).items()}
    return {
        "version": "1.0", "resource": route, "path": f"/{API_STAGE}{path}", "httpMethod": method,
        "headers": headers, "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {name: [value] for name, value in query.items()} if query else None,
        "requestContext": {
            "accountId": "123456789012", "apiId": "abc123", "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123", "extendedRequestId": "ext-1", "httpMethod": method,
            "identity": {"sourceIp": "198.51.100.7", "userAgent": "platform"}, "path": f"/{API_STAGE}{path}",
            "protocol": "HTTP/1.1", "requestId": "req-http-api-1", "requestTime": "23/Nov/2026:08:00:00 +0000",
            "requestTimeEpoch": 1795420800000, "resourceId": f"{method} {route}", "resourcePath": route,
            "stage": API_STAGE},
        "pathParameters": path_parameters, "stageVariables": None, "body": body, "isBase64Encoded": is_base64,
    }


def _answer(event: dict) -> tuple[int, dict]:
    response = app(event, None)
    return response["statusCode"], json.loads(response["body"])


METRICS_QUERY = {"from": "2026-11-01T00:00:00Z", "to": "2026-11-24T00:00:00Z"}


def test_handler_answers_a_route_with_path_parameters_and_query_string_as_through_the_rest_api(client):
    event = payload_1_0("GET", "/v1/merchants/{merchant_id}/metrics", {"merchant_id": MERCHANT}, METRICS_QUERY,
                        headers=auth())
    status, body = _answer(event)
    rest = client.http.get(f"/v1/merchants/{MERCHANT}/metrics?from={METRICS_QUERY['from']}&to={METRICS_QUERY['to']}",
                           headers=auth())
    assert (status, body) == (rest.status_code, json.loads(rest.body))
    assert status == 200
    status, body = _answer({**event, "queryStringParameters": None, "multiValueQueryStringParameters": None})
    assert status == 400 and {problem["field"] for problem in body["error"]["fields"]} == {"from", "to"}


def test_handler_authenticates_the_bearer_key_from_lower_cased_headers(client):
    event = payload_1_0("GET", "/v1/merchants/{merchant_id}/metrics", {"merchant_id": MERCHANT}, METRICS_QUERY)
    status, body = _answer(event)
    assert status == 401 and body["error"]["code"] == "unauthorized"
    status, _ = _answer(payload_1_0("GET", "/v1/merchants/{merchant_id}/metrics", {"merchant_id": MERCHANT},
                                    METRICS_QUERY, headers={"Authorization": f"Bearer {KEY_A}"}))
    assert status == 200


def test_handler_decodes_a_base64_body_the_http_api_sent(client):
    text = json.dumps(intercept_body(parcel_stage="in_transit"))
    plain = _answer(payload_1_0("POST", "/v1/eligibility", headers=auth(), body=text))
    encoded = _answer(payload_1_0("POST", "/v1/eligibility", headers=auth(),
                                  body=base64.b64encode(text.encode()).decode(), is_base64=True))
    assert plain == encoded
    assert plain[0] == 200


@pytest.mark.parametrize("method, route", [("GET", "/{proxy+}"), ("DELETE", "/{proxy+}"), ("GET", "/")])
def test_a_path_no_route_declares_is_the_apis_404(client, method, route):
    event = payload_1_0(method, route, {"proxy": "v1/nothing-here"} if "proxy" in route else None, headers=auth())
    assert _answer(event) == (404, {"error": {"code": "not_found", "message": "no such route"}})
