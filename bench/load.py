"""Load on the local stack: a burst of creates with duplicate retries mixed in, bounded in count and time.

Starts the local stack (`local.stack.LocalStack`: moto's server, the carrier simulator, the queue
pumps, the schedules and the HTTP API) in a child process on loopback, then sends a fixed number of
`POST /v1/intercepts` from several client threads: the five carriers, three platforms and every
tracking-number last digit of the simulator (0-6 and 9 end `intercepted`, 7 and 8 `failed`; 8
without a stage and SF on Kuaishou are refused at the door with 422). Retries are mixed in: some
creates are re-sent with the same Idempotency-Key and body at the same moment as the original,
others after every original has been answered, and some parcels are asked for again under a new key.

It then waits (within the time limit) for every accepted interception to reach a carrier result, and
checks: every accepted one reached a terminal status (none lost), a retry answered the same intercept
id and exactly one of a key's answers created it, each parcel has exactly one intercept, and each
carrier received each intercept exactly as often as the simulator's scenario makes it (once; three
times for a last digit 9, which answers HTTP 500 twice). Exits 1 if anything was lost, duplicated
or answered unexpectedly (or the time limit cut the burst short). The stack's own log goes to
.local/load-stack.log.

    python -m bench.load [--creates 120] [--clients 8] [--time-limit 100] [--url http://127.0.0.1:8000] [--json]
"""
from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import socket
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import requests

CARRIERS = ["zto", "yto", "sto", "jt", "sf"]
#: The local stack's demo platforms (seeded by local.resources.seed_demo), one per policy.
PLATFORM_KEYS = ["demo-kuaishou", "demo-pinduoduo", "demo-douyin"]
#: Carrier results and the operator's queue: nothing moves an intercept on from here by itself.
TERMINAL = {"intercepted", "returned", "failed", "cancelled", "needs_attention"}
#: Carrier calls the simulator answers with HTTP 500 before it accepts a parcel ending in 9.
FLAKY_FAILURES = 2
#: What the stack runs with: callbacks and retries quick enough for a bounded run.
STACK_ENV = {"SIM_CALLBACK_DELAY": "0.3", "DISPATCH_BASE_BACKOFF_SECONDS": "1"}


@dataclass(frozen=True)
class Parcel:
    """One planned create: what is sent and what the gateway should make of it."""

    number: int
    api_key: str
    idempotency_key: str
    body: dict
    accepted: bool               # 202 expected, else 422
    outcome: str | None          # the terminal status expected for an accepted one

    @property
    def carrier(self) -> str:
        return self.body["carrier"]

    @property
    def last_digit(self) -> str:
        return self.body["tracking_no"][-1]


@dataclass
class Answer:
    parcel: Parcel
    kind: str                    # original | concurrent retry | later retry | new key
    status: int | None
    started: float
    ended: float
    intercept_id: str | None = None
    replayed: bool = False
    error_code: str | None = None


def plan(creates: int, run_tag: str) -> list[Parcel]:
    """A fixed mix: carrier and platform by n; each carrier's parcels cycle through every last digit."""
    parcels = []
    for n in range(creates):
        carrier, digit, api_key = CARRIERS[n % 5], (n // 5 + 3 * (n % 5)) % 10, PLATFORM_KEYS[n % 3]
        body = {"merchant_id": "demo-merchant", "order_id": f"o-{run_tag}-{n}", "after_sale_id": f"as-{run_tag}-{n}",
                "carrier": carrier, "tracking_no": f"{carrier.upper()}{run_tag}{n:06d}{digit}",
                "refund_amount": 1000 + 37 * n % 40_000, "package_count": 1, "goods_type": "general",
                "cross_border": False, "reason": "buyer asked for a refund"}
        stage_given = digit == 8 and n % 2 == 1
        if stage_given:
            body["parcel_stage"] = "in_transit"  # the rules pass; the carrier refuses it as signed
        refused_at_door = (digit == 8 and not stage_given) or (carrier == "sf" and api_key == "demo-kuaishou")
        outcome = None if refused_at_door else "failed" if digit in (7, 8) else "intercepted"
        parcels.append(Parcel(n, api_key, f"load-{run_tag}-{n}", body, not refused_at_door, outcome))
    return parcels


def retries(parcels: list[Parcel]) -> tuple[list[tuple[str, Parcel]], list[tuple[str, Parcel]]]:
    """The burst (originals, each 7th with a same-key retry sent right beside it) and the requests
    sent once the burst is answered (a same-key retry for each 7th, a new key for each 13th)."""
    burst, after = [], []
    for parcel in parcels:
        burst.append(("original", parcel))
        if parcel.number % 7 == 0:
            burst.append(("concurrent retry", parcel))
        if parcel.number % 7 == 3:
            after.append(("later retry", parcel))
        if parcel.number % 13 == 5:
            after.append(("new key", parcel))
    return burst, after


class Client:
    def __init__(self, url: str) -> None:
        self.url = url
        self._local = threading.local()

    def _session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def create(self, kind: str, parcel: Parcel) -> Answer:
        key = parcel.idempotency_key + ("-new" if kind == "new key" else "")
        started = time.perf_counter()
        try:
            response = self._session().post(f"{self.url}/v1/intercepts", json=parcel.body, timeout=30, headers={
                "Authorization": f"Bearer {parcel.api_key}", "Idempotency-Key": key})
        except requests.RequestException:
            return Answer(parcel, kind, None, started, time.perf_counter())
        answer = Answer(parcel, kind, response.status_code, started, time.perf_counter(),
                        replayed=response.headers.get("Idempotent-Replayed") == "true")
        payload = response.json() if response.headers.get("Content-Type", "").startswith("application/json") else {}
        if response.status_code == 202:
            answer.intercept_id = payload.get("id")
        elif "error" in payload:
            answer.error_code = payload["error"].get("code")
            answer.intercept_id = payload["error"].get("intercept_id")
        return answer

    def list_all(self, api_key: str) -> list[dict]:
        items, cursor = [], None
        while True:
            params = {"limit": "200", **({"cursor": cursor} if cursor else {})}
            page = self._session().get(f"{self.url}/v1/intercepts", params=params, timeout=30,
                                       headers={"Authorization": f"Bearer {api_key}"})
            page.raise_for_status()
            body = page.json()
            items += body["items"]
            cursor = body["next_cursor"]
            if not cursor:
                return items


def send(client: Client, work: list[tuple[str, Parcel]], clients: int, deadline: float) -> list[Answer]:
    def one(item: tuple[str, Parcel]) -> Answer | None:
        return client.create(*item) if time.monotonic() < deadline else None

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return [answer for answer in pool.map(one, work) if answer is not None]


def wait_for_results(client: Client, expected: dict[str, Parcel], deadline: float) -> dict[str, dict]:
    """The listed records of this run, polled until every expected id is terminal or time is up."""
    while True:
        records = {item["id"]: item for key in PLATFORM_KEYS for item in client.list_all(key)}
        settled = all(records.get(i, {}).get("status") in TERMINAL for i in expected)
        if settled or time.monotonic() >= deadline:
            return records
        time.sleep(0.5)


# -- checks ---------------------------------------------------------------------------------------

def expected_submissions(parcel: Parcel) -> int:
    return 1 + FLAKY_FAILURES if parcel.last_digit == "9" else 1


def _ineligible_after_result(answer: Answer, parcel: Parcel) -> bool:
    """A new-key request that reached the gateway after the original's carrier result found a
    parcel that is no longer in transit: 422 `ineligible` is the right answer then (409 is for a
    parcel whose interception is still open). On a busy machine the results come before the
    new-key requests."""
    return (answer.kind == "new key" and parcel.outcome == "intercepted" and answer.status == 422
            and answer.error_code == "ineligible")


def check(answers: list[Answer], accepted: dict[str, Parcel], records: dict[str, dict],
          submissions: dict[str, int] | None) -> dict[str, Any]:
    """Counts of what went wrong, each a list of short descriptions (empty when all is well)."""
    unexpected, duplicated, lost, wrong_outcome = [], [], [], []
    by_parcel: dict[int, list[Answer]] = defaultdict(list)
    for answer in answers:
        by_parcel[answer.parcel.number].append(answer)
    for number, group in by_parcel.items():
        parcel = group[0].parcel
        same_key = [a for a in group if a.kind != "new key"]
        for answer in group:
            want = (409 if answer.kind == "new key" else 202) if parcel.accepted else 422
            if answer.status != want and not _ineligible_after_result(answer, parcel):
                unexpected.append(f"parcel {number} {answer.kind}: {answer.status} {answer.error_code}, expected {want}")
        ids = {a.intercept_id for a in group if a.intercept_id}
        if len(ids) > 1:
            duplicated.append(f"parcel {number}: answers name {len(ids)} intercepts {sorted(ids)}")
        created = [a for a in same_key if a.status == 202 and not a.replayed]
        if parcel.accepted and len(created) != 1:
            duplicated.append(f"parcel {number}: {len(created)} answers created an intercept (not replays)")
    by_tracking = Counter((item["carrier"], item["tracking_no"]) for item in records.values())
    planned = {(p.carrier, p.body["tracking_no"]) for group in by_parcel.values() for p in (group[0].parcel,)}
    for parcel_key, count in by_tracking.items():
        if parcel_key in planned and count != 1:
            duplicated.append(f"parcel {parcel_key}: {count} intercepts")
    for intercept_id, parcel in accepted.items():
        record = records.get(intercept_id)
        if record is None or record["status"] not in TERMINAL:
            lost.append(f"{intercept_id} (parcel {parcel.number}): {record['status'] if record else 'not listed'}")
        elif record["status"] != parcel.outcome:
            wrong_outcome.append(f"{intercept_id} (parcel {parcel.number}, digit {parcel.last_digit}): "
                                 f"{record['status']}, expected {parcel.outcome}")
        if submissions is not None:
            got, want = submissions.get(intercept_id, 0), expected_submissions(parcel)
            if got > want:
                duplicated.append(f"{intercept_id}: the carrier received {got} submissions, expected {want}")
            elif got < want and record is not None and record["status"] in TERMINAL:
                unexpected.append(f"{intercept_id}: the carrier received {got} submissions, expected {want}")
    return {"lost": lost, "duplicated": duplicated, "unexpected": unexpected, "wrong_outcome": wrong_outcome}


# -- the stack in a child process -----------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve_stack(connection: Any, port: int, env: dict[str, str]) -> None:
    """Child process: run the local stack; answer submission counts from its carrier simulator."""
    os.environ.update(env)
    for name in ("AWS_ENDPOINT_URL", "STAGE", "CARRIER_CONFIG"):
        os.environ.pop(name, None)
    from local.stack import LOCAL_DIR, LocalStack

    LOCAL_DIR.mkdir(exist_ok=True)
    sys.stderr = open(LOCAL_DIR / "load-stack.log", "w", buffering=1)  # the HTTP servers log every request
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    stack = LocalStack(port, "load-key", float(env["SIM_CALLBACK_DELAY"]))
    try:
        stack.start()
        connection.send(stack.url)
        while True:
            command, argument = connection.recv()
            if command == "submissions":
                connection.send({i: stack._simulator.submissions(carrier, i, tracking_no)
                                 for carrier, i, tracking_no in argument})
            elif command == "cpu seconds":  # with the local AWS's process
                aws_cpu = getattr(stack._moto, "cpu_seconds", lambda: 0.0)()
                connection.send((time.process_time() + aws_cpu, aws_cpu))
            elif command == "stop":
                break
    finally:
        stack.stop()


class StackProcess:
    def __init__(self, env: dict[str, str]) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_serve_stack, args=(child, _free_port(), env), daemon=True)
        self.url = ""

    def start(self, timeout: float = 90) -> None:
        self._process.start()
        if not self._connection.poll(timeout):
            raise RuntimeError("the local stack did not start")
        self.url = self._connection.recv()
        deadline = time.monotonic() + timeout
        while requests.get(f"{self.url}/health", timeout=5).status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("the local stack did not become healthy")
            time.sleep(0.2)

    def submissions(self, pairs: list[tuple[str, str, str]]) -> dict[str, int]:
        self._connection.send(("submissions", pairs))
        return self._connection.recv()

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU time the stack has used, every thread of its processes together; and the local AWS's share."""
        self._connection.send(("cpu seconds", None))
        return self._connection.recv()

    def stop(self) -> None:
        if self._process.is_alive():
            self._connection.send(("stop", None))
            self._process.join(timeout=30)
        if self._process.is_alive():
            self._process.kill()


# -- the run --------------------------------------------------------------------------------------

def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def run(creates: int = 120, clients: int = 8, time_limit: float = 100, url: str | None = None) -> dict[str, Any]:
    """One bounded run; the figures and the failures found, as a dict. With `url` (a stack already
    running, e.g. `make run`) the carrier submissions and the stack's CPU are not measured: its
    simulator lives in another process."""
    started_wall = time.monotonic()
    stack = None if url else StackProcess(STACK_ENV)
    submissions, stack_cpu, aws_cpu = None, None, None
    try:
        if stack is not None:
            stack.start()
            cpu_before, aws_cpu_before = stack.cpu_seconds()
        stack_seconds = time.monotonic() - started_wall
        client = Client(url or stack.url)
        parcels = plan(creates, run_tag=datetime.now(timezone.utc).strftime("%H%M%S"))
        burst, after = retries(parcels)
        began = time.monotonic()
        began_utc = datetime.now(timezone.utc)
        deadline = began + time_limit
        answers = send(client, burst, clients, deadline)
        burst_seconds = time.monotonic() - began
        answers += send(client, after, clients, deadline)
        creates_seconds = time.monotonic() - began
        accepted = {a.intercept_id: a.parcel for a in answers
                    if a.kind == "original" and a.status == 202 and a.intercept_id}
        accepted.update({a.intercept_id: a.parcel for a in answers
                         if a.kind == "concurrent retry" and a.status == 202 and a.intercept_id})
        records = wait_for_results(client, accepted, deadline)
        if stack is not None:
            submissions = stack.submissions([(parcel.carrier, i, parcel.body["tracking_no"])
                                             for i, parcel in accepted.items()])
            cpu_after, aws_cpu_after = stack.cpu_seconds()
            stack_cpu, aws_cpu = cpu_after - cpu_before, aws_cpu_after - aws_cpu_before
    finally:
        if stack is not None:
            stack.stop()

    problems = check(answers, accepted, records, submissions)
    settled = [records[i] for i in accepted if records.get(i, {}).get("status") in TERMINAL]
    last_result = max((datetime.fromisoformat(r["updated_at"].replace("Z", "+00:00")) for r in settled),
                      default=began_utc)
    results_seconds = max((last_result - began_utc).total_seconds(), 1e-9)
    latencies = [a.ended - a.started for a in answers]
    burst_originals = [a for a in answers if a.kind == "original"]
    overlapping = sum(1 for a in answers if a.kind == "concurrent retry" and any(
        o.parcel is a.parcel and o.started < a.ended and a.started < o.ended for o in burst_originals))
    statuses = Counter(str(a.status) if a.status else "no answer" for a in answers)
    finals = Counter(records[i]["status"] for i in accepted if i in records)
    return {
        "creates planned": creates,
        "client threads": clients,
        "time limit (s)": time_limit,
        "requests sent": len(answers),
        "same-key retries sent (concurrent / after)": (
            f"{sum(a.kind == 'concurrent retry' for a in answers)} / {sum(a.kind == 'later retry' for a in answers)}"),
        "concurrent retries that overlapped their original": overlapping,
        "new-key requests for a parcel already requested": sum(a.kind == "new key" for a in answers),
        "requests not sent (time limit)": len(burst) + len(after) - len(answers),
        "answers by status code": dict(sorted(statuses.items())),
        "interceptions accepted": len(accepted),
        "create phase (s)": round(creates_seconds, 2),
        "creates accepted per second (burst)": round(
            sum(a.kind == "original" and a.status == 202 for a in answers) / burst_seconds, 1),
        "requests answered per second (burst)": round(
            sum(a.kind in ("original", "concurrent retry") for a in answers) / burst_seconds, 1),
        "create latency p50 (ms)": _ms(statistics.median(latencies)) if latencies else 0.0,
        "create latency p95 (ms)": _ms(_percentile(latencies, 0.95)),
        "first create to last carrier result (s)": round(results_seconds, 2),
        "interceptions reaching a terminal status per second": round(len(settled) / results_seconds, 1),
        "terminal statuses": dict(sorted(finals.items())),
        "carrier submissions": sum(submissions.values()) if submissions is not None else "not counted (--url)",
        "lost": len(problems["lost"]),
        "duplicated": len(problems["duplicated"]),
        "unexpected answers": len(problems["unexpected"]),
        "unexpected outcomes": len(problems["wrong_outcome"]),
        "stack start (s)": round(stack_seconds, 1) if stack is not None else "not started (--url)",
        "stack CPU per accepted interception (ms)": (
            _ms(stack_cpu / max(len(accepted), 1)) if stack_cpu is not None else "not measured (--url)"),
        "local AWS share of the stack CPU": (
            round(aws_cpu / max(stack_cpu, 1e-9), 2) if stack_cpu is not None else "not measured (--url)"),
        "stack CPU busy share of the run (cores)": (
            round(stack_cpu / (time.monotonic() - began), 2) if stack_cpu is not None else "not measured (--url)"),
        "problems": {name: found[:20] for name, found in problems.items() if found},
    }


def passed(report: dict[str, Any]) -> bool:
    return not (report["lost"] or report["duplicated"] or report["unexpected answers"]
                or report["unexpected outcomes"] or report["requests not sent (time limit)"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=120)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--time-limit", type=float, default=100,
                        help="seconds for the creates and their carrier results together")
    parser.add_argument("--url", help="an already running local stack (make run) instead of starting one; "
                                      "its carrier submissions cannot be counted from here")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)
    if args.url and urlsplit(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("--url must be a loopback address: the load run stays on this machine")
    report = run(args.creates, args.clients, args.time_limit, args.url)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        for name, value in report.items():
            if name != "problems":
                print(f"{name + ':':<56}{value}")
        for name, found in report["problems"].items():
            print(f"{name}:", *found, sep="\n  ")
        print("zero lost, zero duplicated" if passed(report) else "FAILED: see the problems above")
    return 0 if passed(report) else 1


if __name__ == "__main__":
    sys.exit(main())
