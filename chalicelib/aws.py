"""The gateway's AWS clients, each with explicit timeouts and retries.

botocore's defaults (60 s connect and read timeouts, legacy retries) would let one slow call hold
an API request past API Gateway's 29 s. Standard retry mode (exponential backoff with jitter, a
retry quota that stops retry storms) with at most 3 attempts, and timeouts sized per service:

| service  | connect | read | worst case of one call (3 attempts + backoff) |
|----------|---------|------|-----------------------------------------------|
| DynamoDB | 1 s     | 2 s  | about 12 s                                   |
| SQS      | 1 s     | 3 s  | about 15 s                                   |
| S3       | 2 s     | 20 s | export parts of 8 MiB; only exports use it   |

The API function's own timeout (28 s, .chalice/config.json) ends a request that stacks several
slow calls before API Gateway gives up on it. The local stage's moto server answers one DynamoDB
request at a time, so under a load run a call may queue for seconds: there the read timeouts are
30 s (a timeout there would only turn into a retry of work that is still being done).
"""
from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

RETRIES = {"mode": "standard", "total_max_attempts": 3}

CONFIGS = {
    "dynamodb": Config(connect_timeout=1, read_timeout=2, retries=RETRIES, max_pool_connections=20),
    "sqs": Config(connect_timeout=1, read_timeout=3, retries=RETRIES, max_pool_connections=20),
    "s3": Config(connect_timeout=2, read_timeout=20, retries=RETRIES),
}


#: The local stage's (see the module docstring).
LOCAL = Config(connect_timeout=2, read_timeout=30, retries=RETRIES, max_pool_connections=20)


def client(service: str, local: bool = False) -> Any:
    return boto3.client(service, config=LOCAL if local else CONFIGS[service])
