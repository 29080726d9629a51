"""Run every benchmark under bench/ and write bench/RESULTS.md: the machine, the date, the command
and a table of figures per benchmark.

Each benchmark runs in its own interpreter with `--json` and prints its figures as one JSON object
on its last line of output (one without `--json` has its printed output kept as it is). A benchmark
whose script is not present is listed as skipped; one that fails is listed with its exit code and
the end of its error output, and the others still run.
Adding a benchmark is one line in BENCHES.

    python -m bench.results [--only load,cold_start] [--output PATH]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
COMMAND = "make bench"


@dataclass(frozen=True)
class Bench:
    module: str                  # bench.<name>, run as `python -m bench.<name> ... --json`
    title: str
    args: tuple[str, ...] = ()
    note: str = ""               # what a reader needs to read the figures right
    timeout: float = 600

    @property
    def name(self) -> str:
        return self.module.rsplit(".", 1)[-1]

    @property
    def script(self) -> Path:
        return ROOT / (self.module.replace(".", "/") + ".py")

    @property
    def command(self) -> str:
        return " ".join(["python -m", self.module, *self.args])


BENCHES = [
    Bench("bench.lifecycle_cost", "Lifecycle cost: AWS calls per interception and dollars per million"),
    Bench("bench.partition_heat", "Partition heat: the hottest partition-key value at 10,000 creates a second",
          args=("--rate", "10000", "--platforms", "1", "--top-merchant-share", "0.1"),
          note="Per table and index: units per second on the hottest key value (design limit 500 WCU/s, "
               "1,500 RCU/s; DynamoDB's 1,000 / 3,000), and all the index's units per second."),
    Bench("bench.load", "Load on the local stack: a burst of creates with retries",
          note="Throughput and latency are the local stack's: the gateway, moto's server, the carrier simulator, "
               "the queue pumps and the schedules share one Python process, moto's server runs in a second one "
               "(their CPU together, in cores, and moto's share are below), and "
               "every DynamoDB request is applied one at a time. They bound what one laptop does, not what "
               "API Gateway, Lambda and DynamoDB do. Lost, duplicated and unexpected counts are exact."),
    Bench("bench.dispatch_parallel", "Dispatch: one SQS batch of 10 against a 200 ms carrier",
          note="The whole-batch time includes the store work, which moto's server applies one request at a time."),
    Bench("bench.refund_sweep_reads", "Refund-deadline sweep: items read for 100 due among 10,000 live"),
    Bench("bench.export_fees", "Fee export: 100,000 rows streamed to S3"),
    Bench("bench.cold_start", "Cold start: deployment package and cold `import app`"),
]


@dataclass
class Outcome:
    bench: Bench
    seconds: float = 0.0
    figures: dict | None = None
    raw: str = ""                # printed output, for a benchmark without --json
    note: str = ""


def run_bench(bench: Bench) -> Outcome:
    if not bench.script.exists():
        return Outcome(bench, note=f"Skipped: {bench.script.relative_to(ROOT)} is not in this tree.")
    speaks_json = "--json" in bench.script.read_text(encoding="utf-8")
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-m", bench.module, *bench.args, *(["--json"] if speaks_json else [])],
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                              timeout=bench.timeout)
    except subprocess.TimeoutExpired:
        return Outcome(bench, time.monotonic() - started, note=f"Did not finish within {bench.timeout:.0f} s.")
    outcome = Outcome(bench, time.monotonic() - started)
    lines = done.stdout.strip().splitlines()
    if speaks_json and lines:
        try:
            outcome.figures = json.loads(lines[-1])
        except ValueError:
            pass
    if outcome.figures is None and lines:
        outcome.raw = done.stdout.strip()
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        outcome.note = f"Exited with status {done.returncode}." + (f"\n\n```\n{tail}\n```" if tail else "")
    return outcome


def machine() -> dict[str, str]:
    cpu = _first_value(Path("/proc/cpuinfo"), "model name") or platform.processor() or platform.machine()
    mem_kib = _first_value(Path("/proc/meminfo"), "MemTotal")
    memory = f"{int(mem_kib.split()[0]) / 1024 ** 2:.1f} GiB" if mem_kib else "unknown"
    return {
        "CPU": cpu,
        "cores (logical)": str(os.cpu_count()),
        "memory": memory,
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "OS": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "load average when the run started (1, 5, 15 min)": " ".join(f"{n:.2f}" for n in os.getloadavg()),
    }


def _first_value(path: Path, field: str) -> str | None:
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(":")
            if name.strip() == field:
                return value.strip()
    except OSError:
        return None
    return None


def _cell(value: object) -> str:
    if value in ({}, [], None):
        text = "none"
    elif isinstance(value, dict):
        text = ", ".join(f"{key}: {inner}" for key, inner in value.items())
    elif isinstance(value, float):
        text = f"{value:,.4f}".rstrip("0").rstrip(".") if abs(value) < 1 else f"{value:,.2f}".rstrip("0").rstrip(".")
    elif isinstance(value, int) and not isinstance(value, bool):
        text = f"{value:,}"
    else:
        text = str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _slowest_start(figures: dict) -> str:
    ratios = {name.removeprefix("ready for its first event: ").removesuffix(", ratio to the baseline (wall / CPU)"):
              float(value.split("/")[1].strip().rstrip("x"))
              for name, value in figures.items() if name.startswith("ready for its first event") and "ratio" in name}
    slowest = max(ratios, key=ratios.get)
    return f"{ratios[slowest]:.2f}x ({slowest})"


#: The figures the before-and-after table follows: label -> (bench, how to read it from its figures).
TRACKED: dict[str, tuple[str, Callable[[dict], object]]] = {
    "hottest partition-key value at 10,000 creates/s, WCU/s": (
        "partition_heat", lambda f: f"{f['hottest_wcu_per_s']:,.0f} ({f['hottest_key']['write']})"),
    "hottest partition-key value at 10,000 creates/s, RCU/s": (
        "partition_heat", lambda f: f"{f['hottest_rcu_per_s']:,.0f} ({f['hottest_key']['read']})"),
    "DynamoDB write units per interception": ("lifecycle_cost", lambda f: f"{f['write_units_per_intercept']:g}"),
    "$ per million interceptions": ("lifecycle_cost", lambda f: f"{f['total_dollars_per_million']:.2f}"),
    "functions' package zipped (MB)": ("cold_start", lambda f: f["deployment package (dev) zipped (MB)"]),
    "cold start, slowest function to its first event (CPU ratio to the baseline app)": ("cold_start", _slowest_start),
    "local stack: creates accepted per second (burst)": ("load", lambda f: f["creates accepted per second (burst)"]),
}


def before_and_after(outcomes: list[Outcome]) -> list[str]:
    """The tracked figures before (bench/baseline.json) and in this run."""
    baseline = json.loads((ROOT / "bench" / "baseline.json").read_text(encoding="utf-8"))
    found = {outcome.bench.name: outcome.figures for outcome in outcomes if outcome.figures}
    lines = ["", "## Before and after", "", f"Before: {baseline['measured_at']}. After: this run.", "",
             "| figure | before | after |", "|---|---|---|"]
    for label, (bench, read) in TRACKED.items():
        try:
            after = read(found[bench])
        except (KeyError, ValueError, TypeError):
            after = "not measured in this run"
        lines.append(f"| {label} | {_cell(baseline['figures'].get(label))} | {_cell(after)} |")
    return lines


def render(outcomes: list[Outcome], started: datetime, host: dict[str, str]) -> str:
    lines = ["# Benchmark results", "",
             f"Regenerate with `{COMMAND}` (`python -m bench.results`). Each benchmark's own docstring says",
             "what it measures and how; the figures below are what it printed on this machine.", "",
             f"Generated {started.strftime('%Y-%m-%d %H:%M UTC')}.", "",
             "| machine | |", "|---|---|"]
    lines += [f"| {name} | {_cell(value)} |" for name, value in host.items()]
    lines += before_and_after(outcomes)
    for outcome in outcomes:
        bench = outcome.bench
        lines += ["", f"## {bench.title}", "", f"`{bench.command}`"
                  + (f" (took {outcome.seconds:.0f} s)" if outcome.seconds else ""), ""]
        for text in (bench.note, outcome.note):
            if text:
                lines += [text, ""]
        if outcome.figures:
            lines += ["| figure | value |", "|---|---|"]
            lines += [f"| {_cell(name)} | {_cell(value)} |" for name, value in outcome.figures.items()]
        elif outcome.raw:
            lines += ["```", outcome.raw, "```"]
    text = "\n".join(lines) + "\n"
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated benchmark names, e.g. load,cold_start; the page goes to "
                                       "standard output unless --output is given")
    parser.add_argument("--output", type=Path, help="default: bench/RESULTS.md (all benchmarks)")
    args = parser.parse_args(argv)
    chosen = [b for b in BENCHES if not args.only or b.name in args.only.split(",")]
    started, host = datetime.now(timezone.utc), machine()
    outcomes = []
    for bench in chosen:
        print(f"running {bench.command} ...", file=sys.stderr, flush=True)
        outcomes.append(run_bench(bench))
        print(f"  {outcomes[-1].note or 'done'} ({outcomes[-1].seconds:.0f} s)", file=sys.stderr, flush=True)
    page = render(outcomes, started, host)
    output = args.output or (None if args.only else ROOT / "bench" / "RESULTS.md")
    if output is None:
        print(page)
    else:
        output.write_text(page, encoding="utf-8")
        print(f"wrote {output}", file=sys.stderr)
    failed = [o for o in outcomes if o.note and not o.note.startswith("Skipped")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
