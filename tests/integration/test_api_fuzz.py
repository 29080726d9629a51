"""Property-based fuzzing of the HTTP API from its own OpenAPI document, against the local stack:
valid and invalid requests alike, no answer is a 5xx, and every answer has a documented status,
content type and schema."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.integration.test_local_stack import KEY, stack  # noqa: F401 - the fixture starts the stack

pytestmark = pytest.mark.integration

#: Per operation; small enough to keep the suite fast, enough to find the obvious holes.
EXAMPLES_PER_OPERATION = 40
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _fuzz(operation, base_url: str) -> None:
    @given(case=st.one_of(operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                          operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)))
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(base_url=base_url, headers={"Authorization": f"Bearer {KEY}"}, timeout=10,
                               checks=CHECKS)

    run()


def test_api_answers_match_the_document_and_are_never_5xx(stack):  # noqa: F811
    schema = schemathesis.openapi.from_url(f"{stack}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {"POST /v1/intercepts", "GET /v1/intercepts", "POST /local/clock"} <= {op.label for op in operations}
    failures = []
    for operation in operations:
        try:
            _fuzz(operation, stack)
        except Exception as error:  # noqa: BLE001 - report every operation's failure at once
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert not failures, "\n\n".join(failures)


def test_every_phase_with_unsupported_methods_finds_no_server_error(stack):  # noqa: F811
    """Schemathesis's own run over all four phases (explicit examples, the coverage phase with its
    undeclared methods and boundary values, fuzzing, stateful sequences): no 5xx, and a method a
    route does not take is a 405 with an `Allow` header."""
    import subprocess
    import sys
    from pathlib import Path

    cli = Path(sys.executable).with_name("schemathesis")
    done = subprocess.run([str(cli), "run", f"{stack}/openapi.json", "--phases", "examples,coverage,fuzzing,stateful",
                           "--checks", "not_a_server_error,unsupported_method", "--max-examples", "20",
                           "-H", f"Authorization: Bearer {KEY}", "--suppress-health-check", "all", "--seed", "1"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-6000:]
