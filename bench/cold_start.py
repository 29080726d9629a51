"""Cold start: the deployment package size and the time of a cold `import app`, against a minimal
Chalice app that imports boto3 and pydantic (target: each function ready for its first event at most
1.25x; the functions' own package at most 5 MB zipped, the AWS SDK and libraries in the shared layer
`chalice package` builds beside it, see .chalice/config.json).

Each sample is a fresh interpreter (`python -c`), so nothing is cached in memory; one warm-up run
per variant first writes the bytecode caches, as Lambda's own package would have them. The variants
take turns; medians of --runs samples each.

`app.py` imports only its wiring; each handler imports its logic on first use. So `import app` is
not the whole of a cold start, and the bench also times, per Lambda function, `import app` plus
everything that function's first event loads and builds (AWS clients stubbed out: creating them
costs the same in any app), including what is built on first use: the create validates a body (building the request model's
deferred validator and serializer), and FIRST_EVENT_FINISH builds every other deferred pydantic model
the function has loaded outside the request bodies (none today) and every record class's converters,
as its first read would. Two more lines give
scale: the baseline plus one pydantic model (`import pydantic` alone does not load the model
machinery, so this is the least any app that declares a model pays) and what Powertools' Logger and
Metrics would add.

    python bench/cold_start.py [--runs 11] [--stage dev] [--no-package] [--json]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TIMED_IMPORT = """
import time
wall, cpu = time.perf_counter(), time.process_time()
{imports}
print((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000)
"""

BASELINE = "import boto3, pydantic\nfrom chalice import Chalice\napp = Chalice(app_name='baseline')"
GATEWAY = "import app"
POWERTOOLS = "from aws_lambda_powertools import Logger, Metrics"
POWERTOOLS_ROW = "import app + Powertools Logger/Metrics"
POWERTOOLS_ABSENT = "not measured (aws-lambda-powertools not installed)"
#: A create's body: its validation builds the request model's validator and serializer.
CREATE_BODY = {"merchant_id": "m-1", "order_id": "o-1", "after_sale_id": "as-1", "carrier": "zto",
               "tracking_no": "ZT1000000003", "refund_amount": 4999, "package_count": 1, "goods_type": "general",
               "cross_border": False, "reason": "buyer asked for a refund"}
#: Per Lambda function: what its first event loads and builds, after `import app` (see app.py).
FIRST_EVENT = {
    "API (create an intercept)": ("from chalicelib.api.auth import authenticate\n"
                                  "from chalicelib.domain.requests import CreateInterceptRequest\ngw.store, gw.intercepts\n"
                                  f"CreateInterceptRequest.model_validate({CREATE_BODY!r}).model_dump(mode='json')"),
    "carrier callback (API)": "from chalicelib.usecases.callbacks import handle_callback\ngw.adapters, gw.carrier_results",
    "dispatch worker": "from chalicelib.queues import messages_from_event\ngw.dispatcher",
    "notify worker": "from chalicelib.queues import messages_from_event\ngw.webhook_delivery",
    "requeue schedule": "from chalicelib.schedules.requeue_unsent import requeue_unsent\ngw.store, gw.queues",
    "health check (API)": "from chalicelib.api.health import check_health\ngw.store, gw.queues",
}
FIRST_EVENT_SETUP = """from chalicelib import aws
aws.client = lambda *args, **kwargs: object()
from chalicelib.runtime import gateway
gw = gateway()
"""
#: Builds what the first event would build on first use (see the module docstring); appended to each
#: FIRST_EVENT. It imports nothing the function has not loaded. The request bodies are left out: one
#: module declares them all, and a first event validates one body (the create's, above), not all.
FIRST_EVENT_FINISH = """
import sys as _sys
def _build_deferred():
    records, pydantic_main = _sys.modules.get("chalicelib.domain.records"), _sys.modules.get("pydantic.main")
    for module in list(_sys.modules.values()):
        name = getattr(module, "__name__", "")
        if not name.startswith("chalicelib"):
            continue
        for value in list(vars(module).values()):
            if not isinstance(value, type) or value.__module__ != name:
                continue
            if records and issubclass(value, records.Record) and value is not records.Record and value._converters is None:
                value._prepare()
            if (pydantic_main and name != "chalicelib.domain.requests" and issubclass(value, pydantic_main.BaseModel)
                    and not value.__pydantic_complete__):
                value.__pydantic_validator__.validate_python, value.__pydantic_serializer__.to_python
_build_deferred()
"""
ONE_MODEL = ("from pydantic import BaseModel, ConfigDict\n"
             "class Model(BaseModel):\n    model_config = ConfigDict(defer_build=True)\n    field: int")


def first_event(code: str) -> str:
    """The code that makes one function ready for its first event (FIRST_EVENT's entry `code`)."""
    return f"{GATEWAY}\n{FIRST_EVENT_SETUP}{code}\n{FIRST_EVENT_FINISH}"


def _sample(code: str) -> tuple[float, float]:
    # PYTHONDONTWRITEBYTECODE (set in some shells and CI images) would stop the warm-up from writing
    # the gateway's bytecode caches, so every sample would compile its sources while the installed
    # libraries of the baseline load from theirs.
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    env.update(PYTHONPATH=str(ROOT), AWS_DEFAULT_REGION="us-east-1", STAGE="prod",
               CARRIER_CONFIG=json.dumps(_carrier_config()))
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    wall, cpu = done.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def _carrier_config() -> dict:
    from local.stack import _new_credentials

    return {code: {"base_url": f"https://{code}.example", **values} for code, values in _new_credentials().items()}


def import_ms(variants: dict[str, str], runs: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) import time per variant; the variants take turns so machine noise hits
    all alike. CPU time is the steadier figure on a busy machine; wall time is what a caller waits."""
    codes = {name: TIMED_IMPORT.format(imports=imports) for name, imports in variants.items()}
    for code in codes.values():
        _sample(code)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in codes}
    for _ in range(runs):
        for name, code in codes.items():
            samples[name].append(_sample(code))
    return {name: (statistics.median(wall for wall, _ in values), statistics.median(cpu for _, cpu in values))
            for name, values in samples.items()}


#: What `chalice package` writes: the functions' own package, and the shared layer (automatic_layer).
ARCHIVES = {"deployment package": "deployment.zip", "shared layer": "layer-deployment.zip"}


def package_size(stage: str) -> dict[str, tuple[int, int]]:
    """(zipped, unzipped) bytes of each archive `chalice package` builds (ARCHIVES)."""
    with tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
        subprocess.run([Path(sys.executable).parent / "chalice", "package", "--stage", stage, out],
                       cwd=ROOT, env=env, check=True, capture_output=True)
        sizes = {}
        for label, name in ARCHIVES.items():
            archive = Path(out) / name
            if archive.exists():
                with zipfile.ZipFile(archive) as opened:
                    sizes[label] = archive.stat().st_size, sum(info.file_size for info in opened.infolist())
        return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--no-package", action="store_true", help="skip building the deployment package")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()

    figures: dict[str, object] = {}
    if not args.no_package:
        for label, (zipped, unzipped) in package_size(args.stage).items():
            figures.update({f"{label} ({args.stage}) zipped (MB)": round(zipped / 1e6, 2),
                            f"{label} ({args.stage}) unzipped (MB)": round(unzipped / 1e6, 1)})
            if not args.json:
                print(f"{label} ({args.stage}): {zipped / 1e6:.2f} MB zipped, {unzipped / 1e6:.1f} MB unzipped")
        figures["package target"] = "deployment package at most 5 MB zipped (Lambda: 250 MB unzipped with layers)"
        if not args.json:
            print(f"  target: {figures['package target']}")
    first_events = {name: first_event(code) for name, code in FIRST_EVENT.items()}
    # Powertools is a comparison, not a dependency: measured where it is installed, else listed as absent.
    powertools = importlib.util.find_spec("aws_lambda_powertools") is not None
    variants = {"baseline": BASELINE, "gateway": GATEWAY, "one_model": f"{BASELINE}\n{ONE_MODEL}", **first_events}
    if powertools:
        variants["powertools"] = f"{GATEWAY}\n{POWERTOOLS}"
    medians = import_ms(variants, args.runs)
    (base_wall, base_cpu) = medians["baseline"]
    figures.update({"fresh interpreters per variant": args.runs,
                    "minimal Chalice app + boto3 + pydantic, wall / CPU (ms)": f"{base_wall:.1f} / {base_cpu:.1f}"})
    lines = [f"cold import, median of {args.runs} fresh interpreters (wall ms / CPU ms, ratio to the baseline):",
             f"  {'minimal Chalice app + boto3 + pydantic:':{40}} {base_wall:7.1f} / {base_cpu:7.1f}"]
    rows = [("import app (the gateway)", "gateway"), *([(POWERTOOLS_ROW, "powertools")] if powertools else []),
            ("the baseline + one pydantic model", "one_model")]
    rows += [(f"ready for its first event: {name}", name) for name in FIRST_EVENT]
    width = max(len(label) for label, _ in rows) + 1
    for label, name in rows:
        wall, cpu = medians[name]
        lines.append(f"  {label + ':':{width}} {wall:7.1f} / {cpu:7.1f}   "
                     f"ratio {wall / base_wall:.2f}x wall, {cpu / base_cpu:.2f}x CPU")
        figures[f"{label}, wall / CPU (ms)"] = f"{wall:.1f} / {cpu:.1f}"
        figures[f"{label}, ratio to the baseline (wall / CPU)"] = f"{wall / base_wall:.2f}x / {cpu / base_cpu:.2f}x"
    if not powertools:
        figures[POWERTOOLS_ROW] = POWERTOOLS_ABSENT
        lines.append(f"  {POWERTOOLS_ROW}: {POWERTOOLS_ABSENT}")
    lines.append("  target: each function ready for its first event at most 1.25x the baseline")
    figures["target"] = "each function ready for its first event at most 1.25x the baseline"
    print(json.dumps(figures) if args.json else "\n".join(lines))


if __name__ == "__main__":
    main()
