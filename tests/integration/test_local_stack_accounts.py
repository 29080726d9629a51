"""The local stack's demo merchant intercepts on its own carrier accounts: Yunda, EMS and Debang
through jumdata, whose platform-level entry holds no account, each with the merchant's
customerCode from its settings and its customerPsw from moto's Secrets Manager, which the
simulator checks and the stack never logs."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import boto3
import pytest
import requests

from chalicelib.dispatch.accounts import SECRET_PREFIX
from tests.integration.test_local_stack import StackProcess, _create, _path, _wait_for

pytestmark = pytest.mark.integration

KEY = "demo-douyin"   # Douyin's policy names every carrier
PARCELS = {"yunda": "YD4300000003", "ems": "EM4300000003", "debang": "DB4300000003"}


@pytest.fixture(scope="module")
def stack():
    """Polled every second: jumdata's results come only from its status query."""
    with tempfile.TemporaryDirectory(prefix="local-state-") as state_dir:
        process = StackProcess(Path(state_dir), {"LOCAL_SCHEDULE_SECONDS": "1", "POLL_SUBMITTED_AFTER_SECONDS": "1"})
        url = process.start()
        yield url, process, Path(state_dir)
        process.stop()


def test_yunda_ems_and_debang_are_intercepted_through_jumdata_on_the_merchants_own_accounts(stack):
    url, process, state_dir = stack
    created = {carrier: _create(url, tracking_no, key=KEY, carrier=carrier) for carrier, tracking_no in PARCELS.items()}
    for carrier, intercept in created.items():
        record = _wait_for(url, intercept["id"], {"intercepted", "failed", "needs_attention"}, key=KEY)
        assert record["status"] == "intercepted", record
        assert _path(record)[-2:] == ["submitted", "intercepted"]

    accounts = json.loads((state_dir / "dev-merchant-accounts.json").read_text())
    aws = json.loads((state_dir / "stack.json").read_text())["aws_endpoint"]
    secrets = boto3.client("secretsmanager", endpoint_url=aws, region_name="us-east-1",
                           aws_access_key_id="local", aws_secret_access_key="local")
    settings = requests.get(f"{url}/v1/merchants/demo-merchant/settings", timeout=10,
                            headers={"Authorization": f"Bearer {KEY}"}).json()
    logged = process.logged()
    for carrier in PARCELS:
        name = f"{SECRET_PREFIX}demo-merchant/{carrier}"
        password = accounts[carrier]["customerPsw"]
        assert settings["carrier_accounts"][carrier] == {
            "fields": {"customerCode": accounts[carrier]["customerCode"],
                       "customerSiteCode": accounts[carrier]["customerSiteCode"]},
            "secret_ref": name}
        assert json.loads(secrets.get_secret_value(SecretId=name)["SecretString"]) == {"customerPsw": password}
        assert password not in logged and password not in json.dumps(settings)
