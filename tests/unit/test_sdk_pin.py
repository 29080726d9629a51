"""The AWS SDK the functions run with is the one the tests ran against (see chalicelib/aws.py)."""
from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import pytest

from chalicelib import aws

ROOT = Path(__file__).resolve().parents[2]


def pins(path: Path) -> dict[str, str]:
    found = (re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line) for line in path.read_text().splitlines())
    return {match.group(1).lower(): match.group(2) for match in found if match}


def test_the_recorded_sdk_is_the_pinned_and_the_installed_one() -> None:
    pinned = pins(ROOT / "requirements.txt")
    for name, tested in aws.SDK_VERSIONS.items():
        assert pinned[name] == tested == version(name)
    assert pinned["boto3"] == version("boto3") and pinned["s3transfer"] == version("s3transfer")


def test_no_function_imports_boto3() -> None:
    """The functions make their clients with botocore (chalicelib/aws.py): boto3 would bring s3transfer."""
    import subprocess
    import sys

    code = ("import sys, app\nfrom chalicelib.runtime import gateway\ngw = gateway()\n"
            "gw.store, gw.queues, gw.dispatcher, gw.webhook_delivery, gw.carrier_results, gw.fee_exports\n"
            "print(sorted(name for name in sys.modules if name.split('.')[0] in ('boto3', 's3transfer')))")
    env = {"PYTHONPATH": str(ROOT), "AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin",
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_another_sdk_is_named_with_the_tested_version() -> None:
    assert aws.untested_sdk(dict(aws.SDK_VERSIONS)) == []
    assert aws.untested_sdk({**aws.SDK_VERSIONS, "botocore": "1.0.0"}) == [
        f"botocore 1.0.0 (tested: {aws.SDK_VERSIONS['botocore']})"]


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_every_function_takes_the_sdk_from_the_layer_the_package_builds(stage: str) -> None:
    import json

    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    assert config["stages"][stage].get("automatic_layer", config.get("automatic_layer")) is True
