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

The SDK is not in the functions' own package but in the layer `make package` builds beside it
(Chalice's `automatic_layer`), pinned in requirements.txt. `SDK_VERSIONS` records the versions the
tests ran against (tests/unit/test_sdk_pin.py holds it equal to requirements.txt and to the installed
SDK), and importing this module refuses any other: a function whose layer went missing would run on
the Lambda runtime's own boto3, an SDK nobody tested, and it fails at start instead.
"""
from __future__ import annotations

import logging
from typing import Any

import boto3
import botocore
from botocore.config import Config

#: The AWS SDK the tests ran against, as pinned in requirements.txt.
SDK_VERSIONS = {"boto3": "1.44.5", "botocore": "1.44.8"}


def untested_sdk(found: dict[str, str]) -> list[str]:
    """`name found (tested: pinned)` for each SDK package whose version is not the tested one."""
    return [f"{name} {found.get(name)} (tested: {pinned})" for name, pinned in SDK_VERSIONS.items()
            if found.get(name) != pinned]


_untested = untested_sdk({"boto3": boto3.__version__, "botocore": botocore.__version__})
if _untested:
    raise ImportError("the AWS SDK is not the version the gateway was tested with: " + ", ".join(_untested)
                      + "; deploy with `make package` (its layer holds the pinned SDK) or update SDK_VERSIONS "
                        "with requirements.txt")

#: botocore logs every response body at DEBUG (GetSecretValue's carrier-account secrets too): never
#: below INFO, whatever the function's log level.
logging.getLogger("botocore.parsers").setLevel(logging.INFO)

RETRIES = {"mode": "standard", "total_max_attempts": 3}

CONFIGS = {
    "dynamodb": Config(connect_timeout=1, read_timeout=2, retries=RETRIES, max_pool_connections=20),
    "sqs": Config(connect_timeout=1, read_timeout=3, retries=RETRIES, max_pool_connections=20),
    "s3": Config(connect_timeout=2, read_timeout=20, retries=RETRIES),
    "secretsmanager": Config(connect_timeout=1, read_timeout=3, retries=RETRIES),
}


#: The local stage's (see the module docstring).
LOCAL = Config(connect_timeout=2, read_timeout=30, retries=RETRIES, max_pool_connections=20)


def client(service: str, local: bool = False) -> Any:
    return boto3.client(service, config=LOCAL if local else CONFIGS[service])
