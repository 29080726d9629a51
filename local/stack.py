"""`make run`: the whole gateway on one machine, no AWS account.

Starts, in this order: moto's server (the embedded AWS, in a child process: local.moto_server.LocalAwsProcess)
with the table, queues, DLQs and bucket, and the demo merchant's carrier-account secrets;
the carrier simulator; the queue pumps, the table's stream pump and the scheduler driving the
Chalice handlers; and last the HTTP API, so that `GET /health` answering 200 means everything behind it is up. Ctrl-C stops all.

The local AWS's state (intercepts, keys, webhook endpoints, merchant settings, queued messages,
fee exports) is kept in `LOCAL_STATE_DIR` (default `.local/`): restored before the resources are
created, saved every `LOCAL_SAVE_SECONDS` (2) when something changed and at stop. `make reset`
deletes it (local/state_files.py).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

from local import moto_version
from local.state_files import AwsStateFiles, StateInUse, UnreadableState, local_dir

ROOT = Path(__file__).resolve().parent.parent
LOCAL_DIR = local_dir()
#: Where a running stack says how to reach it (read by gatewayctl).
STACK_FILE = LOCAL_DIR / "stack.json"
REGION = "us-east-1"
#: How long Ctrl-C waits, in all, for the workers, pumps and schedules to finish what they hold.
STOP_SECONDS = 10

log = logging.getLogger("local.stack")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _new_credentials() -> dict[str, dict]:
    """Fresh dev credentials for every declared carrier and aggregator, as each declaration says."""
    from chalicelib.carriers import declarations

    return {code: declaration.new_dev_credentials() for code, declaration in declarations().items()
            if not declaration.via_only}


def dev_credentials(path: Path) -> dict[str, dict]:
    """Carrier credentials for the simulator and the gateway, generated once into an ignored file.

    A file from an older run keeps its entries; carriers added since get new ones, and so do
    credential fields a carrier declared since (J&T's password).
    """
    stored = json.loads(path.read_text()) if path.exists() else {}
    fresh = _new_credentials()
    credentials = {code: {**values, **stored.get(code, {})} for code, values in fresh.items()}
    credentials = {**stored, **credentials}
    if credentials == stored:
        return stored
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(credentials, indent=2))
    path.chmod(0o600)
    return credentials


def local_routes(credentials: dict[str, dict]) -> dict[str, str]:
    """Per carrier the local stack connects: the route it goes over, its own protocol or, for a
    carrier with none, the first aggregator that reaches it."""
    from chalicelib.carriers import carrier_codes, routes_to

    return {code: routes[0] for code in carrier_codes() if (routes := routes_to(code)) and routes[0] in credentials}


def demo_carrier_accounts(path: Path, credentials: dict[str, dict], routes: dict[str, str]) -> dict[str, dict]:
    """The demo merchant's own account per carrier whose route takes one, in the route's field names.

    A carrier's own protocol takes the values its dev credentials hold (which the simulator checks),
    named as its declaration maps them; an aggregator's accounts are made up once into `path`
    (ignored by git), as its declaration says (`MerchantAccount.dev`)."""
    from chalicelib.carriers import declarations

    stored = json.loads(path.read_text()) if path.exists() else {}
    accounts = {}
    for code, route in routes.items():
        spec = declarations()[route].merchant_account
        if spec is None:
            continue
        held = credentials[route]
        accounts[code] = {name: held[setting] for name in spec.fields
                          if (setting := spec.settings_names.get(name)) in held} \
            or {**{name: recipe.new() for name, recipe in spec.dev.items()}, **stored.get(code, {})}
    made_up = {code: account for code, account in accounts.items() if routes[code] != code}
    if any(stored.get(code) != account for code, account in made_up.items()):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({**stored, **made_up}, indent=2))
        path.chmod(0o600)
    return accounts


def carrier_config(credentials: dict[str, dict], routes: dict[str, str], simulator_url: str) -> dict[str, dict]:
    """CARRIER_CONFIG for the simulator: every declared protocol with its dev credentials (without
    the account fields a carrier takes from the merchant instead: the demo merchant holds those), and
    `{"via": <aggregator>}` for the carriers reached only through one."""
    from chalicelib.carriers import declarations

    config = {}
    for code, values in credentials.items():
        spec = declarations()[code].merchant_account
        merchants = set(spec.settings_names.values()) if spec else set()
        config[code] = {"base_url": f"{simulator_url}/{code}",
                        **{name: value for name, value in values.items() if name not in merchants}}
    return {**config, **{code: {"via": route} for code, route in routes.items() if route != code}}


def simulator_credentials(credentials: dict[str, dict], routes: dict[str, str],
                          accounts: dict[str, dict]) -> dict[str, dict]:
    """What the simulated carriers check: their dev credentials, and for an aggregator the demo
    merchant's accounts by its company code for each carrier."""
    from chalicelib.carriers import declarations

    checked = {code: dict(values) for code, values in credentials.items()}
    for code, route in routes.items():
        if route != code and code in accounts:
            company = declarations()[route].reaches[code]
            checked[route].setdefault("accounts", {})[company] = accounts[code]
    return checked


def _gateway_millis() -> int:
    """The gateway's clock, moved by `POST /local/clock`: the simulated carriers share it."""
    from chalicelib.runtime import gateway

    return int(gateway().clock.now().timestamp() * 1000)


def _has_fileno(stream: Any) -> bool:
    try:
        stream.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    return True


def write_stack_file(path: Path, values: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values, indent=2))


class LocalStack:
    """The stack on `port`. With `state`, the local AWS starts from the state saved there and keeps
    saving it (every `save_every` seconds when something changed); without, it starts empty."""

    def __init__(self, port: int, demo_key: str, callback_delay: float, state: AwsStateFiles | None = None,
                 save_every: float = 2.0) -> None:
        self.port = port
        self.demo_key = demo_key
        self.callback_delay = callback_delay
        self.state = state
        self.save_every = save_every
        self.url = f"http://127.0.0.1:{port}"
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._moto: Any = None
        self._simulator: Any = None
        self._http: Any = None

    def start(self) -> None:
        from local.moto_server import LocalAwsProcess

        # in a process of its own: most of the stack's CPU, and then not behind the gateway's threads' GIL
        self._moto = LocalAwsProcess(state=self.state, save_every=self.save_every, region=REGION,
                                     stderr=sys.stderr if _has_fileno(sys.stderr) else None)
        self._moto.start()
        os.environ.update({
            "AWS_ENDPOINT_URL": self._moto.endpoint, "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": REGION, "STAGE": "local",
            "PUBLIC_BASE_URL": self.url,
        })
        os.environ.pop("AWS_PROFILE", None)
        # a day's fee export in one part per shard (32), not 4,608: the local queue pump is one process
        os.environ.setdefault("EXPORT_SLICE_SECONDS", str(24 * 3600))

        from simulator.server import CarrierSimulator

        credentials = dev_credentials(LOCAL_DIR / "dev-carrier-credentials.json")
        routes = local_routes(credentials)
        accounts = demo_carrier_accounts(LOCAL_DIR / "dev-merchant-accounts.json", credentials, routes)
        self._simulator = CarrierSimulator(gateway_url=self.url,
                                           credentials=simulator_credentials(credentials, routes, accounts),
                                           callback_delay=self.callback_delay, now_millis=_gateway_millis)
        self._simulator.start()
        os.environ["CARRIER_CONFIG"] = json.dumps(carrier_config(credentials, routes, self._simulator.url))

        import boto3

        from chalicelib.clock import SystemClock, to_iso
        from chalicelib.config import settings
        from chalicelib.store import Store
        from local.resources import create_resources, seed_demo, store_carrier_accounts

        config = settings()
        create_resources(boto3.client("dynamodb"), boto3.client("sqs"), boto3.client("s3"), config)
        seed_demo(Store(boto3.client("dynamodb"), config.table_name), self.demo_key, to_iso(SystemClock().now()),
                  store_carrier_accounts(boto3.client("secretsmanager"), accounts, routes))

        import app as app_module

        self._start_event_sources(app_module, boto3.client("sqs"))
        self._start_http(app_module)
        write_stack_file(STACK_FILE, {"api": self.url, "aws_endpoint": self._moto.endpoint, "region": REGION,
                                      "pid": os.getpid()})

    def _start_event_sources(self, app_module: Any, sqs: Any) -> None:
        import boto3
        from chalice.app import DynamoDBEventConfig, ScheduledEventConfig, SQSEventConfig

        from chalicelib.config import settings
        from local.pump import QueuePump
        from local.scheduler import Schedule
        from local.stream_pump import StreamPump

        for source in app_module.app.event_sources:
            handler = getattr(app_module, source.handler_string.rsplit(".", 1)[-1])
            if isinstance(source, SQSEventConfig):
                pump = QueuePump(sqs, source.queue, handler, batch_size=source.batch_size)
                self._spawn(f"pump-{source.queue}", pump.run)
            elif isinstance(source, ScheduledEventConfig):
                expression = source.schedule_expression
                text = expression if isinstance(expression, str) else expression.to_string()
                every = float(os.environ.get("LOCAL_SCHEDULE_SECONDS", "0")) or None
                self._spawn(f"schedule-{source.name}", Schedule(source.name, text, handler, REGION, every).run)
            elif isinstance(source, DynamoDBEventConfig):
                pump = StreamPump(boto3.client("dynamodb"), boto3.client("dynamodbstreams"), settings().table_name,
                                  handler, batch_size=source.batch_size)
                self._spawn(f"stream-{source.name}", pump.run)

    def _start_http(self, app_module: Any) -> None:
        from chalice.config import Config

        from local.api_server import api_server

        config = Config.create(chalice_stage="local", app_name=app_module.app.app_name,
                               chalice_app=app_module.app, config_from_disk={})
        self._http = api_server(app_module.app, config, "127.0.0.1", self.port)
        self._spawn("http", lambda stop: self._http.server.serve_forever(poll_interval=0.2))

    def _spawn(self, name: str, target: Any) -> None:
        thread = threading.Thread(target=target, args=(self._stop,), name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        if STACK_FILE.exists() and json.loads(STACK_FILE.read_text()).get("pid") == os.getpid():
            STACK_FILE.unlink()
        if self._http is not None:
            self._http.server.shutdown()
            self._http.server.server_close()
        # One deadline for all: every thread saw the stop event at once, so they wind down together.
        deadline = time.monotonic() + STOP_SECONDS
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if stragglers := [thread.name for thread in self._threads if thread.is_alive()]:
            log.warning("still busy after %s s, left to exit with the process: %s", STOP_SECONDS, ", ".join(stragglers))
        if self._simulator is not None:
            self._simulator.stop()
        if self._moto is not None:
            self._moto.stop()

    def wait(self) -> None:
        # In short waits: Python runs a signal's handler in the main thread only, and a main thread
        # blocked without a timeout would not notice a signal another thread took.
        while not self._stop.wait(0.5):
            pass


BANNER = """
Parcel Intercept Gateway (local stage) is up.

  API:       {url}
  API key:   {key} (Kuaishou policy); also demo-kuaishou, demo-pinduoduo, demo-douyin
  Operator:  {operator_key} (the /v1/operations routes: curl -H 'Authorization: Bearer {operator_key}'
             {url}/v1/operations/queues)
  Health:    curl {url}/health
  Console:   {url}/console (sign in with the API key)
  Data:      kept across restarts in {state} (`make reset` deletes it)

  Try it (the tracking number's last digit picks the carrier simulator's answer: 0-6 intercepted,
  7 failed: out for delivery, 8 failed: signed, 9 two carrier 5xx then intercepted):

  curl -s -X POST {url}/v1/intercepts \\
    -H 'Authorization: Bearer {key}' -H 'Idempotency-Key: demo-1' -H 'Content-Type: application/json' \\
    -d '{{"merchant_id":"demo-merchant","order_id":"o-1","after_sale_id":"as-1","carrier":"zto",
         "tracking_no":"ZT1000000003","refund_amount":4999,"package_count":1,"goods_type":"general",
         "cross_border":false,"reason":"buyer asked for a refund"}}'

  Ask first (no side effects): the same body to {url}/v1/eligibility answers eligible, every
  reason, the parcel stage, the success likelihood and the fee quote.

Ctrl-C stops everything.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--demo-key", default=os.environ.get("DEMO_API_KEY", "demo-key"))
    parser.add_argument("--callback-delay", type=float, default=float(os.environ.get("SIM_CALLBACK_DELAY", "2")))
    parser.add_argument("--save-every", type=float, default=float(os.environ.get("LOCAL_SAVE_SECONDS", "2")),
                        help="seconds between saves of the local AWS state, when something changed")
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stderr)
    for noisy in ("werkzeug", "botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    state = AwsStateFiles(LOCAL_DIR)
    stack = LocalStack(args.port, args.demo_key, args.callback_delay, state=state, save_every=args.save_every)
    # Ctrl-C stops the stack however it was started: a parent that ignored or blocked SIGINT (a
    # background job, a test runner's worker) passes that on to its children.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: stack._stop.set())
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        moto_version.check()
        stack.start()
        from local.resources import DEMO_OPERATOR_KEY

        print(BANNER.format(url=stack.url, key=args.demo_key, operator_key=DEMO_OPERATOR_KEY, state=state.snapshot),
              flush=True)
        stack.wait()
    except KeyboardInterrupt:
        pass
    except (moto_version.UnsupportedMoto, StateInUse) as refused:
        print(f"refusing to start: {refused}", file=sys.stderr, flush=True)
        return 2
    except UnreadableState as unreadable:
        print(f"refusing to start: {unreadable}; `make reset` deletes it and starts empty", file=sys.stderr,
              flush=True)
        return 2
    finally:
        print("stopping the local stack ...", file=sys.stderr, flush=True)
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
