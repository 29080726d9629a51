"""Every AWS client the gateway makes has explicit timeouts and standard retries that fit inside
API Gateway's 29 s (chalicelib/aws.py)."""
from pathlib import Path

import pytest

from chalicelib import aws

ROOT = Path(__file__).resolve().parents[2]


def test_no_client_is_made_anywhere_else_in_the_package():
    makers = {path.relative_to(ROOT).as_posix() for path in (ROOT / "chalicelib").rglob("*.py")
              if any(maker in path.read_text() for maker in ("boto3.client(", "boto3.resource(", ".create_client("))}
    assert makers == {"chalicelib/aws.py"}


@pytest.mark.parametrize("service", ["dynamodb", "sqs", "s3"])
def test_each_client_fails_fast_and_retries_a_bounded_number_of_times(service):
    made = aws.client(service)
    config = made.meta.config
    assert config.retries == {"mode": "standard", "total_max_attempts": 3}
    attempt = config.connect_timeout + config.read_timeout
    if service != "s3":  # the export's multipart parts are large; only exports use S3
        assert 3 * attempt + 3 < 29  # three attempts and standard mode's backoff inside API Gateway's limit


def test_the_api_function_ends_before_api_gateway_gives_up():
    import json

    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    for stage in ("dev", "prod"):
        assert config["stages"][stage]["lambda_functions"]["api_handler"]["lambda_timeout"] < 29
