"""The gateway's moving parts in one process, for integration tests and benchmarks.

LocalAws (moto's server with DynamoDB serialised), the carrier simulator, the callback route
served over loopback HTTP, and queue pumps feeding SQS batches to each gateway's Dispatcher, with
settings and adapter HTTP timeouts the caller chooses.

`shards` runs one gateway per carrier, each with its own table and queues (same code, one
simulator, one callback endpoint routing by carrier): moto answers an index query by scanning the
whole table, so small tables keep a long run about the gateway rather than the fake.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import boto3

from chalicelib.carriers import build_adapters
from chalicelib.carriers.http import CarrierHttp
from chalicelib.clock import SystemClock, to_iso
from chalicelib.config import Settings
from chalicelib.domain.models import Platform, PolicyName
from chalicelib.queues import QueueMessage
from chalicelib.runtime import Gateway
from chalicelib.usecases.callbacks import handle_callback
from local.moto_server import LocalAws, LocalAwsProcess
from local.pump import QueuePump
from local.resources import create_resources, demo_merchant, seed_platform
from local.servers import LoopbackHTTPServer
from simulator import CarrierSimulator

PLATFORM = Platform(id="harness", name="Harness platform", policy=PolicyName.default)
API_KEY = "harness-key"


class CallbackEndpoint:
    """POST /callbacks/{carrier} over HTTP, handled by the gateway that serves that carrier."""

    def __init__(self, gateways: dict[str, Gateway]) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                carrier = self.path.rstrip("/").rsplit("/", 1)[-1]
                gateway = gateways[carrier]
                reply = handle_callback(gateway.adapters, gateway.carrier_results, gateway.clock, carrier,
                                        dict(self.headers.items()), body)
                payload = reply.body.encode("utf-8")
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the carrier gave up waiting; it pushes again

            def log_message(self, *args: Any) -> None:
                pass

        self._server = LoopbackHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def dispatch_handler(gateway: Gateway):
    """What the app's SQS handler does, for one gateway: raw Lambda SQS event -> Dispatcher."""
    def handle(event: dict, context: Any) -> dict:
        messages = [QueueMessage(record["messageId"], record["receiptHandle"], record["body"],
                                 int(record["attributes"].get("ApproximateReceiveCount", "1")))
                    for record in event["Records"]]
        return gateway.dispatcher.handle_batch(messages)
    return handle


@dataclass
class Harness:
    credentials: dict[str, dict]
    settings_overrides: dict = field(default_factory=dict)
    simulator_options: dict = field(default_factory=dict)
    read_timeout: float = 1.0
    pumps_per_gateway: int = 1
    shards: bool = False
    aws_in_child_process: bool = False   # benchmarks: the fake AWS does not share this process's GIL
    gateways: dict[str, Gateway] = field(default_factory=dict)
    simulator: CarrierSimulator | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list = field(default_factory=list)
    _started: list = field(default_factory=list)
    _saved_env: dict = field(default_factory=dict)

    def start(self) -> Harness:
        aws = LocalAwsProcess() if self.aws_in_child_process else LocalAws()
        aws.start()
        self._started.append(aws)
        for name, value in {"AWS_ENDPOINT_URL": aws.endpoint, "AWS_ACCESS_KEY_ID": "local",
                            "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": "us-east-1"}.items():
            self._saved_env[name] = os.environ.get(name)
            os.environ[name] = value
        callbacks = CallbackEndpoint(self.gateways)
        callbacks.start()
        self._started.append(callbacks)
        self.simulator = CarrierSimulator(gateway_url=callbacks.url, credentials=self.credentials,
                                          **self.simulator_options)
        self.simulator.start()
        self._started.append(self.simulator)
        http = CarrierHttp(connect_timeout=1.0, read_timeout=self.read_timeout)
        carrier_config = {code: {"base_url": f"{self.simulator.url}/{code}", **values}
                          for code, values in self.credentials.items()}
        adapters = build_adapters(carrier_config, http)
        groups = [[code] for code in adapters] if self.shards else [list(adapters)]
        for group in groups:
            name = f"harness-{group[0]}" if self.shards else "harness"
            settings = Settings(**{"stage": "local", "table_name": name, "dispatch_queue": f"{name}-dispatch",
                                   "notify_queue": f"{name}-notify", "export_bucket": f"{name}-exports",
                                   "public_base_url": callbacks.url, "carriers": carrier_config,
                                   **self.settings_overrides})
            create_resources(boto3.client("dynamodb"), boto3.client("sqs"), boto3.client("s3"), settings)
            gateway = Gateway(settings, SystemClock(), adapters={code: adapters[code] for code in group})
            seed_platform(gateway.store, PLATFORM, API_KEY, demo_merchant(to_iso(gateway.clock.now())))
            for code in group:
                self.gateways[code] = gateway
        return self

    def run_pumps(self) -> None:
        for gateway in {id(g): g for g in self.gateways.values()}.values():
            for number in range(self.pumps_per_gateway):
                pump = QueuePump(boto3.client("sqs"), gateway.settings.dispatch_queue, dispatch_handler(gateway),
                                 wait_seconds=1)
                thread = threading.Thread(target=pump.run, args=(self._stop,), daemon=True,
                                          name=f"pump-{gateway.settings.table_name}-{number}")
                thread.start()
                self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        for part in reversed(self._started):
            part.stop()
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
