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

The functions make their clients with botocore alone: importing boto3 (even one of its modules)
imports s3transfer and its thread pools too, about a third of a cold start, for nothing the gateway
calls (see bench/cold_start.py). boto3 stays pinned beside botocore: the tests, the local stack and
the tools use it.

The SDK is not in the functions' own package but in the layer `make package` builds beside it
(Chalice's `automatic_layer`), pinned in requirements.txt. `SDK_VERSIONS` records the botocore
version the tests ran against (tests/unit/test_sdk_pin.py holds it equal to requirements.txt and to
the installed SDK), and importing this module refuses any other: a function whose layer went missing
would run on the Lambda runtime's own SDK, one nobody tested, and it fails at start instead.
"""
from __future__ import annotations

import logging
import threading
from typing import Any

import botocore
import botocore.session
from botocore.config import Config

#: The AWS SDK the tests ran against, as pinned in requirements.txt (the functions import botocore only).
SDK_VERSIONS = {"botocore": "1.44.8"}


def untested_sdk(found: dict[str, str]) -> list[str]:
    """`name found (tested: pinned)` for each SDK package whose version is not the tested one."""
    return [f"{name} {found.get(name)} (tested: {pinned})" for name, pinned in SDK_VERSIONS.items()
            if found.get(name) != pinned]


_untested = untested_sdk({"botocore": botocore.__version__})
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


_session: Any = None
#: botocore sessions are not thread-safe; the local stack's threads make clients concurrently.
_session_lock = threading.Lock()


def client(service: str, local: bool = False) -> Any:
    """A client of the container's one botocore session (region, credentials and `AWS_ENDPOINT_URL`
    from the environment, as boto3's default session would take them)."""
    global _session
    with _session_lock:
        if _session is None:
            _session = botocore.session.get_session()
        return _session.create_client(service, config=LOCAL if local else CONFIGS[service])


def replace_session(session: Any) -> Any:
    """Make later clients from `session` (a botocore session, or None for a fresh default one on
    next use); returns the one it replaces. For meters that hook a session's events."""
    global _session
    with _session_lock:
        previous, _session = _session, session
        return previous
