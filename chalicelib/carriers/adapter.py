"""The one carrier adapter: any carrier's protocol module driven over the shared HTTP layer.

Every protocol module (`chalicelib/carriers/<code>/protocol.py`) has the shape of
`CarrierProtocol` below: for each operation a pure builder of the request to POST and a pure
parser of the answer, plus the verification of a result push and its acknowledgement. What a
builder needs beyond the order and the account (the time, a unique id, an aggregator's code for
the carrier) comes in a `Call`, so this adapter holds no carrier's logic.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol

from chalicelib.domain.returns import ReturnTo

if TYPE_CHECKING:
    from chalicelib.carriers.base import (
        CallbackEvent,
        CancelOutcome,
        HttpReply,
        InterceptOrder,
        SubmitOutcome,
        Tracking,
    )
    from chalicelib.carriers.declaration import CarrierDeclaration
    from chalicelib.carriers.http import CarrierHttp

#: The reason a withdrawal is refused when the route publishes no way to withdraw.
CANNOT_WITHDRAW = "carrier_cannot_withdraw"
#: The reason an order for the sending outlet is refused without a call where the route cannot make one.
RETURN_TO_OUTLET_NOT_SUPPORTED = "return_to_outlet_not_supported"

#: (url, body, headers) of one POST
WireRequest = tuple[str, bytes, Mapping[str, str]]


@dataclass(frozen=True)
class Call:
    """What one call is made with besides the order and the account."""

    now_ms: int          # when: carriers that sign a timestamp (YTO, J&T, SF, kuaidi100)
    request_id: str      # unique per call (SF's requestID)
    #: an aggregator's own code for the carrier it acts for (kuaidi100's `kuaidicom`); "" otherwise
    company: str = ""
    #: our code of the carrier the call is for (an aggregator picks the merchant's account by it)
    carrier: str = ""


class CarrierProtocol(Protocol):
    """The shape every protocol module has (a module, checked structurally)."""

    def intercept_request(self, order: InterceptOrder, settings: Any, call: Call) -> WireRequest: ...
    def parse_intercept_response(self, status: int, body: bytes) -> SubmitOutcome: ...
    # only where the declaration says `can_withdraw` / `can_poll`:
    def cancel_request(self, order: InterceptOrder, settings: Any, call: Call) -> WireRequest: ...
    def parse_cancel_response(self, status: int, body: bytes) -> CancelOutcome: ...
    def query_request(self, order: InterceptOrder, settings: Any, call: Call) -> WireRequest: ...
    def parse_query_response(self, status: int, body: bytes) -> SubmitOutcome: ...
    def track_request(self, tracking_no: str, settings: Any, call: Call) -> WireRequest: ...
    def parse_track_response(self, status: int, body: bytes) -> Tracking: ...
    def parse_callback(self, headers: Mapping[str, str], body: bytes, now: datetime,
                       settings: Any) -> CallbackEvent: ...
    def callback_ack(self, accepted: bool, message: str = "") -> HttpReply: ...


def now_ms() -> int:
    return int(time.time() * 1000)


def new_request_id() -> str:
    return uuid.uuid4().hex


class ProtocolAdapter:
    """A `CarrierAdapter` (see base.py) speaking `declaration`'s protocol as carrier `code`.

    `code` is the declaration's own, or for an aggregator one of the carriers it reaches: the
    gateway then sees that carrier (its callbacks come to /callbacks/<code>) while the calls go to
    the aggregator with its account.
    """

    def __init__(self, declaration: CarrierDeclaration, settings: Any, http: CarrierHttp | None, *,
                 code: str | None = None, clock_ms: Callable[[], int] = now_ms,
                 request_id: Callable[[], str] = new_request_id) -> None:
        code = code or declaration.code
        if declaration.kind == "aggregator" and code not in declaration.reaches:
            raise ValueError(f"{declaration.code} cannot intercept for {code}; "
                             f"it reaches {sorted(declaration.reaches)}")
        if declaration.kind == "carrier" and code != declaration.code:
            raise ValueError(f"{declaration.code} is a carrier, not a route to {code}")
        self.code = code
        self.route = declaration.code
        self.can_redirect = declaration.can_redirect
        self.can_return_to_outlet = declaration.can_return_to_outlet
        self.can_withdraw = declaration.can_withdraw
        self.can_poll = declaration.can_poll
        self.declaration = declaration
        self._protocol: CarrierProtocol = declaration.load_protocol()
        self._settings = settings
        self._http = http
        self._clock_ms = clock_ms
        self._request_id = request_id
        self._company = declaration.reaches.get(code, "")

    def _exchange(self, build: Callable[[Any, Any, Call], WireRequest], parse: Callable[[int, bytes], Any],
                  subject: Any) -> Any:
        """Build the request about `subject` (an order or a tracking number), POST it, parse the answer."""
        url, body, headers = build(subject, self._settings, Call(self._clock_ms(), self._request_id(), self._company,
                                                         self.code))
        return parse(*self._http.post(url, data=body, headers=headers))

    def submit_intercept(self, order: InterceptOrder) -> SubmitOutcome:
        """A return to the outlet over a route that makes none (accepted while the carrier was routed
        elsewhere) is not sent as a return to the sender: an operator decides, as for our account."""
        if order.return_to == ReturnTo.outlet and not self.can_return_to_outlet:
            from chalicelib.carriers.base import CarrierAccountFault

            raise CarrierAccountFault(f"{self.route} returns parcels to the sender only, and this interception "
                                      "asks for the sending outlet", RETURN_TO_OUTLET_NOT_SUPPORTED)
        return self._exchange(self._protocol.intercept_request, self._protocol.parse_intercept_response, order)

    def cancel_intercept(self, order: InterceptOrder) -> CancelOutcome:
        """A route that publishes no withdrawal is not asked: the answer is a refusal, with no call."""
        if not self.can_withdraw:
            from chalicelib.carriers.base import CancelOutcome

            return CancelOutcome(False, reason_code=CANNOT_WITHDRAW,
                                 message=f"{self.route} publishes no way to withdraw an interception")
        return self._exchange(self._protocol.cancel_request, self._protocol.parse_cancel_response, order)

    def query_intercept(self, order: InterceptOrder) -> SubmitOutcome:
        """A route that publishes no status query cannot answer one (its results come by callback)."""
        if not self.can_poll:
            from chalicelib.carriers.base import CarrierUnavailable

            raise CarrierUnavailable(f"{self.route} publishes no interception status query")
        return self._exchange(self._protocol.query_request, self._protocol.parse_query_response, order)

    def query_tracking(self, tracking_no: str) -> Tracking:
        return self._exchange(self._protocol.track_request, self._protocol.parse_track_response, tracking_no)

    def parse_callback(self, headers: Mapping[str, str], body: bytes, now: datetime) -> CallbackEvent:
        return self._protocol.parse_callback(headers, body, now, self._settings)

    def callback_ack(self, accepted: bool, message: str = "") -> HttpReply:
        return self._protocol.callback_ack(accepted, message)
