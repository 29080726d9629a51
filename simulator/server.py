"""One loopback HTTP server playing every simulated carrier, at "/<carrier code>/...".

The core here is carrier-agnostic: injected faults, the per-parcel scenario (chosen by the tracking
number's last digit), the state of each instruction (for cancels and status queries), submission
counts and callback delivery. Each carrier's wire format lives in its own module,
`simulator/<code>.py`, which the carrier's declaration names (see chalicelib/carriers/declaration.py).
"""
from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from enum import Enum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Mapping
from urllib.parse import urlsplit

import requests

from chalicelib.carriers import declarations
from chalicelib.domain.stages import ParcelStage
from simulator.protocol import Callback, InterceptRequest, Operation, Outcome, Reply, ScanTimes, SimulatedCarrier

logger = logging.getLogger(__name__)

#: Every declared carrier's simulated side, by code (built from its credentials).
CARRIERS: Mapping[str, Callable[[Mapping[str, str]], SimulatedCarrier]] = {
    code: declaration.load_simulator() for code, declaration in declarations().items() if not declaration.via_only
}

#: How many times a flaky parcel (last digit 9) answers HTTP 500 before it behaves.
FLAKY_FAILURES = 2
CALLBACK_TIMEOUT = (3.0, 10.0)
SHUTDOWN_POLL_INTERVAL = 0.05


class Scenario(Enum):
    accept_then_intercepted = "accept_then_intercepted"  # last digit 0-6, or not a digit
    accept_then_failed = "accept_then_failed"            # 7: out for delivery by the time it acts
    refuse_signed = "refuse_signed"                      # 8: refused at once, already signed
    flaky_then_intercepted = "flaky_then_intercepted"    # 9: HTTP 500 twice, then like 0-6


_SCENARIO_BY_LAST_DIGIT = {
    "7": Scenario.accept_then_failed,
    "8": Scenario.refuse_signed,
    "9": Scenario.flaky_then_intercepted,
}


def scenario_for(tracking_no: str) -> Scenario:
    return _SCENARIO_BY_LAST_DIGIT.get(tracking_no[-1:], Scenario.accept_then_intercepted)


#: What a tracking query answers, by last digit. Tracking lags reality: a 7 still looks
#: interceptable (at the destination outlet) and then fails by callback.
_STAGE_BY_LAST_DIGIT = {"7": ParcelStage.at_destination_outlet, "8": ParcelStage.signed}


def stage_for(tracking_no: str) -> ParcelStage:
    return _STAGE_BY_LAST_DIGIT.get(tracking_no[-1:], ParcelStage.in_transit)


@dataclass
class _Instruction:
    """An accepted interception as the carrier tracks it."""

    outcome: Outcome
    decided_at: float          # monotonic time from which the outcome is final
    cancelled: bool = False


@dataclass(frozen=True)
class CallbackAttempt:
    """One try at delivering a callback; `status` is None when the gateway could not be reached."""

    carrier: str
    intercept_id: str
    event_id: str
    url: str
    attempt: int
    status: int | None
    error: str | None = None


class CarrierSimulator:
    def __init__(
        self,
        *,
        gateway_url: str,
        credentials: dict[str, dict],
        host: str = "127.0.0.1",
        port: int = 0,
        callback_delay: float = 1.0,
        latency: float = 0.0,
        error_rate: float = 0.0,
        timeout_rate: float = 0.0,
        malformed_rate: float = 0.0,
        seed: int | None = None,
        timeout_sleep: float = 15.0,
        callback_attempts: int = 4,
        callback_backoff: float = 0.5,
        now_millis: Callable[[], int] = lambda: int(time.time() * 1000),
    ) -> None:
        unknown = set(credentials) - set(CARRIERS)
        if unknown:
            raise ValueError(f"no simulated carrier for {sorted(unknown)}; known: {sorted(CARRIERS)}")
        self._carriers = {code: CARRIERS[code](creds) for code, creds in credentials.items()}
        self._gateway_url = gateway_url.rstrip("/")
        self._host = host
        self._port = port
        self._callback_delay = callback_delay
        #: the time callbacks are stamped with; the local stack passes the gateway's (movable) clock
        self._now_millis = now_millis
        self._latency = latency
        self._error_rate = error_rate
        self._timeout_rate = timeout_rate
        self._malformed_rate = malformed_rate
        self._timeout_sleep = timeout_sleep
        self._callback_attempts = callback_attempts
        self._callback_backoff = callback_backoff
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._submissions: Counter[tuple[str, str]] = Counter()
        self._requests_per_parcel: Counter[tuple[str, str]] = Counter()
        self._callbacks_sent: list[CallbackAttempt] = []
        self._instructions: dict[tuple[str, str], _Instruction] = {}
        self._requests: Counter[tuple[str, Operation]] = Counter()
        self._first_heard: dict[tuple[str, str], int] = {}
        self._callback_threads: list[threading.Thread] = []
        self._server: _Server | None = None
        self._serve_thread: threading.Thread | None = None

    def start(self) -> None:
        """Bind, listen and serve in a daemon thread."""
        self._server = _Server((self._host, self._port), _Handler, self)
        self._serve_thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL_INTERVAL},
            name="carrier-simulator", daemon=True,
        )
        self._serve_thread.start()

    def stop(self) -> None:
        """Stop serving; pending callbacks and injected timeouts are abandoned."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._serve_thread is not None:
            self._serve_thread.join()
        with self._lock:
            threads = list(self._callback_threads)
        for thread in threads:
            thread.join(timeout=CALLBACK_TIMEOUT[0])

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def submissions(self, carrier: str, intercept_id: str, tracking_no: str | None = None) -> int:
        """Intercept requests for this id that passed the carrier's signature and account checks.

        A carrier whose requests carry no id of ours (SF, JD, jumdata: `keyed_by_waybill`) keeps
        them by waybill: pass `tracking_no` to count those."""
        simulated = self._carriers.get(carrier)
        key = tracking_no if tracking_no and getattr(simulated, "keyed_by_waybill", False) else intercept_id
        with self._lock:
            return self._submissions[(carrier, key)]

    def requests(self, carrier: str, operation: Operation) -> int:
        """Checked requests of one kind a carrier has received."""
        with self._lock:
            return self._requests[(carrier, operation)]

    @property
    def callbacks_sent(self) -> list[CallbackAttempt]:
        with self._lock:
            return list(self._callbacks_sent)

    def handle(self, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """Answer one request (header names lower-case): faults first, then the carrier's protocol."""
        if self._latency > 0:
            self._stopping.wait(self._latency)
        fault_reply = self._injected_fault()
        if fault_reply is not None:
            return fault_reply
        code, _, rest = urlsplit(path).path.lstrip("/").partition("/")
        carrier = self._carriers.get(code)
        if carrier is None:
            return Reply(404, b'{"message":"no such carrier"}')
        checked = carrier.read_request("/" + rest, headers, body)
        if isinstance(checked, Reply):
            return checked
        with self._lock:
            self._requests[(carrier.code, checked.operation)] += 1
        if checked.operation is Operation.track:
            times = self._scan_times(carrier.code, checked.tracking_no)
            if getattr(carrier, "results_in_tracking", False):  # its routes carry the result (SF)
                return carrier.stage(checked, stage_for(checked.tracking_no), times,
                                     self._status(carrier.code, checked.intercept_id))
            return carrier.stage(checked, stage_for(checked.tracking_no), times)
        if checked.operation is Operation.cancel:
            return carrier.cancelled(checked, self._cancel(carrier.code, checked.intercept_id))
        if checked.operation is Operation.query or (
                getattr(carrier, "polled_by_repeating", False) and self._holds(carrier.code, checked.intercept_id)):
            # a carrier polled by repeating the call (JD) answers a repeat with where it stands
            return carrier.status(checked, self._status(carrier.code, checked.intercept_id))
        return self._play_scenario(carrier, checked)

    def _holds(self, carrier: str, intercept_id: str) -> bool:
        with self._lock:
            return (carrier, intercept_id) in self._instructions

    def _cancel(self, carrier: str, intercept_id: str) -> bool:
        """An instruction can be withdrawn until the carrier has acted on it."""
        with self._lock:
            instruction = self._instructions.get((carrier, intercept_id))
            if instruction is None or instruction.cancelled or time.monotonic() >= instruction.decided_at:
                return False
            instruction.cancelled = True
            return True

    def _scan_times(self, carrier: str, tracking_no: str) -> ScanTimes:
        with self._lock:
            first = self._first_heard.setdefault((carrier, tracking_no), self._now_millis())
        return ScanTimes.first_heard(first)

    def _status(self, carrier: str, intercept_id: str) -> Outcome | None:
        with self._lock:
            instruction = self._instructions.get((carrier, intercept_id))
        if instruction is None or instruction.cancelled or time.monotonic() < instruction.decided_at:
            return None
        return instruction.outcome

    def _injected_fault(self) -> Reply | None:
        with self._lock:
            draw = self._random.random()
        if draw < self._error_rate:
            return Reply(503, b'{"message":"service unavailable"}')
        if draw < self._error_rate + self._timeout_rate:
            self._stopping.wait(self._timeout_sleep)
            return Reply(504, b'{"message":"gateway timeout"}')
        if draw < self._error_rate + self._timeout_rate + self._malformed_rate:
            return Reply(200, b"<html><body>502 Bad Gateway</body></html>", {"Content-Type": "text/html"})
        return None

    def _play_scenario(self, carrier: SimulatedCarrier, request: InterceptRequest) -> Reply:
        with self._lock:
            self._submissions[(carrier.code, request.intercept_id)] += 1
            self._requests_per_parcel[(carrier.code, request.tracking_no)] += 1
            seen = self._requests_per_parcel[(carrier.code, request.tracking_no)]
        scenario = scenario_for(request.tracking_no)
        if scenario is Scenario.refuse_signed:
            return carrier.refused_signed(request)
        if scenario is Scenario.flaky_then_intercepted and seen <= FLAKY_FAILURES:
            return Reply(500, b'{"message":"internal error"}')
        outcome = Outcome.failed_out_for_delivery if scenario is Scenario.accept_then_failed else Outcome.intercepted
        with self._lock:
            self._instructions.setdefault((carrier.code, request.intercept_id),
                                          _Instruction(outcome, time.monotonic() + self._callback_delay))
        if "callback" in declarations()[carrier.code].results_by:  # a carrier answering only polls pushes nothing
            self._schedule_callback(carrier, request, outcome)
        return carrier.accepted(request)

    def _schedule_callback(self, carrier: SimulatedCarrier, request: InterceptRequest, outcome: Outcome) -> None:
        thread = threading.Thread(target=self._deliver_callback, args=(carrier, request, outcome), daemon=True)
        with self._lock:
            self._callback_threads = [t for t in self._callback_threads if t.is_alive()]
            self._callback_threads.append(thread)
        thread.start()

    def _deliver_callback(self, carrier: SimulatedCarrier, request: InterceptRequest, outcome: Outcome) -> None:
        """Push after `callback_delay`, retrying with doubling backoff until a 2xx or attempts run out."""
        if self._stopping.wait(self._callback_delay):
            return
        with self._lock:
            instruction = self._instructions.get((carrier.code, request.intercept_id))
            if instruction is not None and instruction.cancelled:
                return
        event_id = uuid.uuid4().hex
        callback = carrier.callback(request, outcome, event_id=event_id, now_millis=self._now_millis())
        url = request.callback_url or f"{self._gateway_url}/callbacks/{carrier.code}"
        for attempt in range(1, self._callback_attempts + 1):
            status, error = _post(url, callback)
            sent = CallbackAttempt(carrier.code, request.intercept_id, event_id, url, attempt, status, error)
            with self._lock:
                self._callbacks_sent.append(sent)
            if status is not None and 200 <= status < 300:
                return
            logger.warning("callback %s to %s failed (attempt %d): %s", event_id, url, attempt, error or status)
            backoff = self._callback_backoff * 2 ** (attempt - 1)
            if attempt < self._callback_attempts and self._stopping.wait(backoff):
                return


def _post(url: str, callback: Callback) -> tuple[int | None, str | None]:
    try:
        response = requests.post(url, data=callback.body, headers=dict(callback.headers), timeout=CALLBACK_TIMEOUT)
    except requests.RequestException as error:
        return None, str(error)
    return response.status_code, None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    #: socketserver listens with a backlog of 5: a burst of connects beyond it is dropped and the
    #: client tries again only after a second, which a gateway's parallel dispatch would see as
    #: connect timeouts that a real carrier's front end does not cause.
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], simulator: CarrierSimulator
    ) -> None:
        super().__init__(address, handler)
        self.simulator = simulator


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = self.server.simulator.handle(self.path, headers, body)
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (an injected timeout)

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)
