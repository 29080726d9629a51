"""Choose the API in front of the functions in the packaged template (`make package API=http|rest`).

`chalice package` writes a REST API (`RestAPI`, a swagger with every route of the app). With
`--api http` it is replaced by an HTTP API (API Gateway v2, $1.00 instead of $3.50 per million
requests) with the same routes, each a Lambda proxy integration of the API handler in payload
format 1.0, the REST event shape Chalice's handler reads. A catch-all route sends every other path
to the function too, which answers it with the API's 404 (`chalicelib/api/responses.py`), as the
REST API's gateway response did. With `--api rest` the template is left as Chalice wrote it (for a
WAF or usage plans). What an HTTP API does differently is in docs/scale.md.

    python -m infra.http_api --api http dist/dev/sam.json
"""
from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path
from typing import Any

from infra.resources import API_FUNCTION, LOG_RETENTION_DAYS

REST_API = "RestAPI"
HTTP_API = "HttpAPI"
ACCESS_LOG_GROUP = "HttpAPIAccessLogGroup"
APIS = ("http", "rest")
#: Chalice's handler reads API Gateway's REST event (payload 1.0), not the HTTP API's 2.0.
PAYLOAD_FORMAT_VERSION = "1.0"
#: HTTP API's limit; the API handler's own timeout (28 s, .chalice/config.json) comes first.
INTEGRATION_TIMEOUT_MS = 30_000
SWAGGER_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
#: Paths no route of the app declares: the root, and any other (HTTP API's most specific route wins).
CATCH_ALL_PATHS = ("/", "/{proxy+}")
#: The account's default throttle per region (shared by all its APIs); raise both with the quota.
THROTTLE_PARAMETERS = {
    "ApiThrottleRate": ("Requests per second the API's stage accepts before answering 429.", 10_000),
    "ApiThrottleBurst": ("Requests the API's stage accepts at once above the rate.", 5_000),
}
#: One JSON line per request; no header or body is logged (the Authorization header included).
ACCESS_LOG_FORMAT = json.dumps({
    "requestId": "$context.requestId", "requestTime": "$context.requestTime", "sourceIp": "$context.identity.sourceIp",
    "routeKey": "$context.routeKey", "path": "$context.path", "status": "$context.status",
    "responseLength": "$context.responseLength", "responseLatency": "$context.responseLatency",
    "integrationStatus": "$context.integrationStatus", "integrationLatency": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage", "error": "$context.error.message",
}, separators=(",", ":"))


def declared_routes(template: dict) -> list[tuple[str, str]]:
    """(METHOD, path) of every route in Chalice's swagger, the app's routes."""
    paths = template["Resources"][REST_API]["Properties"]["DefinitionBody"]["paths"]
    return [(method.upper(), path) for path, operations in paths.items()
            for method in SWAGGER_METHODS if method in operations]


def _integration(template: dict) -> dict:
    """The Lambda proxy integration Chalice wired to the API handler, in payload format 1.0."""
    paths = template["Resources"][REST_API]["Properties"]["DefinitionBody"]["paths"]
    uris = {json.dumps(operation["x-amazon-apigateway-integration"]["uri"], sort_keys=True)
            for operations in paths.values() for method, operation in operations.items() if method in SWAGGER_METHODS}
    if len(uris) != 1:
        raise ValueError(f"expected every route to integrate one function, found {sorted(uris)}")
    return {"type": "aws_proxy", "httpMethod": "POST", "uri": json.loads(uris.pop()),
            "payloadFormatVersion": PAYLOAD_FORMAT_VERSION, "timeoutInMillis": INTEGRATION_TIMEOUT_MS}


def definition_body(template: dict) -> dict:
    swagger = template["Resources"][REST_API]["Properties"]["DefinitionBody"]
    integration = _integration(template)
    operation = {"responses": {"default": {"description": "the API handler's answer"}},
                 "x-amazon-apigateway-integration": integration}
    paths: dict[str, dict] = {}
    for method, path in declared_routes(template):
        paths.setdefault(path, {})[method.lower()] = copy.deepcopy(operation)
    for path in CATCH_ALL_PATHS:
        if path in paths:
            raise ValueError(f"the app declares {path}, which the catch-all route would take")
        paths[path] = {"x-amazon-apigateway-any-method": copy.deepcopy(operation)}
    return {"openapi": "3.0.1", "info": swagger["info"], "paths": paths}


def _renamed(node: Any) -> Any:
    """`node` with every reference to the REST API made to the HTTP API."""
    if isinstance(node, dict):
        if node.get("Ref") == REST_API:
            return {"Ref": HTTP_API}
        if "Fn::GetAtt" in node and node["Fn::GetAtt"][0] == REST_API:
            raise ValueError(f"no HTTP API attribute for {node}")
        if isinstance(node.get("Fn::Sub"), str):
            if "${%s." % REST_API in node["Fn::Sub"]:
                raise ValueError(f"no HTTP API attribute for {node}")
            return {"Fn::Sub": node["Fn::Sub"].replace("${%s}" % REST_API, "${%s}" % HTTP_API)}
        return {key: _renamed(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_renamed(item) for item in node]
    return node


def _is_api_invoke_permission(resource: dict) -> bool:
    properties = resource.get("Properties", {})
    return (resource["Type"] == "AWS::Lambda::Permission" and properties.get("Principal") == "apigateway.amazonaws.com"
            and properties.get("FunctionName") == {"Ref": API_FUNCTION})


def http_api_template(template: dict) -> dict:
    rest = template["Resources"][REST_API]
    http_api = {"Type": "AWS::Serverless::HttpApi", "Properties": {
        "StageName": rest["Properties"]["StageName"],
        "DefinitionBody": definition_body(template),
        "FailOnWarnings": True,
        "AccessLogSettings": {"DestinationArn": {"Fn::GetAtt": [ACCESS_LOG_GROUP, "Arn"]},
                              "Format": ACCESS_LOG_FORMAT},
        "DefaultRouteSettings": {"ThrottlingRateLimit": {"Ref": "ApiThrottleRate"},
                                 "ThrottlingBurstLimit": {"Ref": "ApiThrottleBurst"}},
    }}
    resources = {name: resource for name, resource in template["Resources"].items() if name != REST_API}
    resources = _renamed(resources)
    permissions = [name for name, resource in resources.items() if _is_api_invoke_permission(resource)]
    if len(permissions) != 1:
        raise ValueError(f"expected one API Gateway permission on {API_FUNCTION}, found {permissions}")
    resources[permissions[0]]["Properties"]["SourceArn"] = {
        "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${%s}/*" % HTTP_API}
    resources[HTTP_API] = http_api
    resources[ACCESS_LOG_GROUP] = {"Type": "AWS::Logs::LogGroup", "Properties": {
        "LogGroupName": {"Fn::Sub": "/aws/http-api/${AWS::StackName}"}, "RetentionInDays": LOG_RETENTION_DAYS}}
    outputs = {("HttpAPIId" if name == "RestAPIId" else name): output
               for name, output in _renamed(template.get("Outputs", {})).items()}
    parameters = dict(template.get("Parameters", {}))
    for name, (description, default) in THROTTLE_PARAMETERS.items():
        parameters[name] = {"Type": "Number", "Default": default, "MinValue": 1, "Description": description}
    return {**template, "Parameters": parameters, "Resources": resources, "Outputs": outputs}


def transform(template: dict, api: str) -> dict:
    if api not in APIS:
        raise ValueError(f"api must be one of {APIS}, not {api!r}")
    return http_api_template(template) if api == "http" else template


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", choices=APIS, required=True)
    parser.add_argument("template", type=Path, help="the SAM template `chalice package` wrote (rewritten in place)")
    args = parser.parse_args(argv)
    template = json.loads(args.template.read_text())
    args.template.write_text(json.dumps(transform(template, args.api), indent=2) + "\n")


if __name__ == "__main__":
    main()
