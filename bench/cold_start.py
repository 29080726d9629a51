"""Cold start: the deployment package size and the time of a cold `import app`, against a minimal
Chalice app that imports boto3 and pydantic (target: at most 1.25x).

Each sample is a fresh interpreter (`python -c`), so nothing is cached in memory; one warm-up run
per variant first writes the bytecode caches, as Lambda's own package would have them. The variants
take turns; medians of --runs samples each. Also prints what Powertools' Logger and Metrics would add to the same import,
and the baseline plus one pydantic model: `import pydantic` alone does not load the model machinery
(pydantic imports it on first use), so that line is the least any app declaring a model pays.

    python bench/cold_start.py [--runs 11] [--stage dev] [--no-package] [--json]
"""
from __future__ import annotations

import argparse
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
ONE_MODEL = ("from pydantic import BaseModel, ConfigDict\n"
             "class Model(BaseModel):\n    model_config = ConfigDict(defer_build=True)\n    field: int")


def _sample(code: str) -> tuple[float, float]:
    # PYTHONDONTWRITEBYTECODE (set in some shells and CI images) would stop the warm-up from writing
    # the gateway's bytecode caches, so every sample would compile its sources while the installed
    # libraries of the baseline load from theirs.
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    env.update(PYTHONPATH=str(ROOT), AWS_DEFAULT_REGION="us-east-1")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    wall, cpu = done.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


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


def package_size(stage: str) -> tuple[int, int]:
    """(zipped, unzipped) bytes of the Lambda deployment package `chalice package` builds."""
    with tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
        subprocess.run([Path(sys.executable).parent / "chalice", "package", "--stage", stage, out],
                       cwd=ROOT, env=env, check=True, capture_output=True)
        archive = Path(out) / "deployment.zip"
        with zipfile.ZipFile(archive) as opened:
            unzipped = sum(info.file_size for info in opened.infolist())
        return archive.stat().st_size, unzipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--no-package", action="store_true", help="skip building the deployment package")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()

    figures: dict[str, object] = {}
    if not args.no_package:
        zipped, unzipped = package_size(args.stage)
        figures.update({f"deployment package ({args.stage}) zipped (MB)": round(zipped / 1e6, 1),
                        f"deployment package ({args.stage}) unzipped (MB)": round(unzipped / 1e6, 1)})
        if not args.json:
            print(f"deployment package ({args.stage}): {zipped / 1e6:.1f} MB zipped, {unzipped / 1e6:.1f} MB unzipped "
                  f"(Lambda limit 250 MB unzipped)")
    medians = import_ms({"baseline": BASELINE, "gateway": GATEWAY, "powertools": f"{GATEWAY}\n{POWERTOOLS}",
                         "one_model": f"{BASELINE}\n{ONE_MODEL}"}, args.runs)
    (base_wall, base_cpu) = medians["baseline"]
    figures.update({"fresh interpreters per variant": args.runs,
                    "minimal Chalice app + boto3 + pydantic, wall / CPU (ms)": f"{base_wall:.1f} / {base_cpu:.1f}"})
    lines = [f"cold import, median of {args.runs} fresh interpreters (wall ms / CPU ms, ratio to the baseline):",
             f"  minimal Chalice app + boto3 + pydantic: {base_wall:7.1f} / {base_cpu:7.1f}"]
    for label, name in (("import app (the gateway):              ", "gateway"),
                        ("import app + Powertools Logger/Metrics:", "powertools"),
                        ("the baseline + one pydantic model:     ", "one_model")):
        wall, cpu = medians[name]
        lines.append(f"  {label} {wall:7.1f} / {cpu:7.1f}   ratio {wall / base_wall:.2f}x wall, {cpu / base_cpu:.2f}x CPU")
        figures[f"{label.strip().rstrip(':')}, wall / CPU (ms)"] = f"{wall:.1f} / {cpu:.1f}"
        figures[f"{label.strip().rstrip(':')}, ratio to the baseline (wall / CPU)"] = (
            f"{wall / base_wall:.2f}x / {cpu / base_cpu:.2f}x")
    lines.append("  target: import app at most 1.25x the baseline")
    figures["target"] = "import app at most 1.25x the baseline"
    print(json.dumps(figures) if args.json else "\n".join(lines))


if __name__ == "__main__":
    main()
