"""Each Lambda function loads only the modules its own handlers use (see app.py and bench/cold_start.py).

Every function imports the whole app.py, so a module-level import there, or an eager one in a
module every handler shares, would put its cost on every function's cold start. Each case runs in
a fresh interpreter and lists the gateway modules loaded once the function is ready for its first event.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.cold_start import FIRST_EVENT, first_event

ROOT = Path(__file__).resolve().parents[2]

#: What each function must not load: the parts only other functions use.
NOT_LOADED = {
    "API (create an intercept)": {"chalicelib.dispatch.worker", "chalicelib.dispatch.circuit_breaker", "chalicelib.exports.fee_exports",
                                  "chalicelib.usecases.after_sales", "chalicelib.api.openapi"},
    "carrier callback (API)": {"chalicelib.dispatch.worker", "chalicelib.dispatch.circuit_breaker", "chalicelib.api.openapi"},
    "dispatch worker": {"chalicelib.usecases.after_sales", "chalicelib.exports.fee_exports", "chalicelib.usecases.merchant_settings",
                        "chalicelib.api.openapi"},
    "notify worker": {"chalicelib.dispatch.worker", "chalicelib.dispatch.circuit_breaker", "chalicelib.usecases.intercepts", "chalicelib.rules",
                      "chalicelib.carriers.base"},
    "requeue schedule": {"chalicelib.dispatch.worker", "chalicelib.dispatch.circuit_breaker", "chalicelib.usecases.intercepts", "chalicelib.rules",
                         "chalicelib.carriers.base", "chalicelib.webhooks.delivery"},
    "health check (API)": {"chalicelib.dispatch.worker", "chalicelib.dispatch.circuit_breaker", "chalicelib.usecases.intercepts",
                           "chalicelib.rules", "chalicelib.carriers.base", "chalicelib.api.auth"},
}
LIST_MODULES = "\nimport json, sys\nprint(json.dumps(sorted(name for name in sys.modules if name.startswith(('chalicelib', 'pydantic')))))"


def loaded_after(code: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STAGE": "prod", "AWS_DEFAULT_REGION": "us-east-1",
           "CARRIER_CONFIG": json.dumps({"zto": {"base_url": "https://zto.example", "app_key": "k",
                                                "app_secret": "s", "company_id": "c"}})}
    done = subprocess.run([sys.executable, "-c", code + LIST_MODULES], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True)
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_import_app_loads_only_the_wiring() -> None:
    loaded = {name for name in loaded_after("import app") if name.startswith("chalicelib")}
    blueprints = {f"chalicelib.api.{module.stem}" for module in (ROOT / "chalicelib" / "api").glob("*.py")
                  if "Blueprint(__name__)" in module.read_text()}
    assert loaded <= {"chalicelib", "chalicelib.config", "chalicelib.errors", "chalicelib.observability",
                      "chalicelib.api", "chalicelib.api.responses", "chalicelib.api.context", *blueprints}
    assert "pydantic.main" not in loaded_after("import app")  # no model is declared until a handler needs one


@pytest.mark.parametrize("function", sorted(FIRST_EVENT))
def test_a_function_loads_what_its_first_event_needs_and_no_more(function: str) -> None:
    loaded = loaded_after(first_event(FIRST_EVENT[function]))
    assert {"chalicelib.runtime", "chalicelib.store"} <= loaded
    assert loaded & NOT_LOADED[function] == set()


#: The functions whose first event validates no client input (chalicelib/domain/records.py): no pydantic.
WITHOUT_PYDANTIC = ("carrier callback (API)", "dispatch worker", "notify worker", "requeue schedule",
                    "health check (API)")


@pytest.mark.parametrize("function", WITHOUT_PYDANTIC)
def test_a_function_that_validates_no_client_input_loads_no_pydantic(function: str) -> None:
    loaded = loaded_after(first_event(FIRST_EVENT[function]))
    assert {name for name in loaded if name.startswith("pydantic")} == set()
    assert "chalicelib.domain.requests" not in loaded
