"""`gatewayctl sign` prints what each carrier expects (values from the carrier tests' worked examples)."""
import subprocess
import sys

import pytest
from click.testing import CliRunner

from gatewayctl.cli import cli


@pytest.mark.parametrize("args,expected", [
    (["sf", "--msg-data", '{"language":"zh-CN","orderId":"QIAO-20200618-004"}', "--timestamp", "12312334453453",
      "--check-word", "fjcg5PGKaNpPSHFAZ4QsCOkV71R3zVci"], "IIKJtuLVzoFTu4kHI8M8vA=="),  # SF's published example
    (["sf", "--msg-data", '{"waybillNo":"SF1234567890123","serviceCode":"2","role":"1","payMode":"1"}',
      "--timestamp", "1700000000000", "--check-word", "check word~*"], "n0aap//IFGoMKS5afTnWLQ=="),
    (["zto", "--body", '{"billCode":"73100012345678","orderId":"int_01"}', "--app-secret", "zto-secret"],
     "NCZAPuxYmUyJOtqtlE0Bpw=="),
    (["yto", "--param", '{"waybillNo":"YT1"}', "--method", "yto.intercept.apply", "--secret", "yto-secret"],
     "kTl5xnggYe7bYkbD0L8PJw=="),
    (["sto", "--content", '{"waybillNo":"773"}', "--secret", "sto-secret"], "C07VgTYHTAHBXwIaWtjakw=="),
    (["jt", "--biz-content", '{"billCode":"JT1"}', "--private-key", "jt-key"], "Z+QUwJXk5KIbz3t09aL4SQ=="),
    (["kuaidi100", "--param", '{"kuaidinum":"YT1"}', "--t", "1700000000000", "--key", "k100key", "--secret",
      "k100secret"], "6285474110AB721A6D3D4ED9A8555BE3"),
    (["kuaidi100-callback", "--param", '{"orderId":"int_01"}', "--salt", "salt-1"], "D6471AA44E9D0F64A0A7189C85A49D6B"),
])
def test_sign_prints_the_carriers_signature(args, expected):
    result = CliRunner().invoke(cli, ["sign", *args])
    assert (result.exit_code, result.output) == (0, expected + "\n")


def test_a_missing_input_is_a_usage_error():
    result = CliRunner().invoke(cli, ["sign", "sf", "--msg-data", "{}"])
    assert result.exit_code == 2 and "--timestamp" in result.output


def test_runs_as_a_module():
    done = subprocess.run([sys.executable, "-m", "gatewayctl", "sign", "sto", "--content", '{"waybillNo":"773"}',
                           "--secret", "sto-secret"], capture_output=True, text=True, check=True)
    assert done.stdout == "C07VgTYHTAHBXwIaWtjakw==\n"
