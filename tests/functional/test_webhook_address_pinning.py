"""Webhooks reach only the addresses the stage allows, checked at registration and again at connect
time, with the connection pinned to the checked address; the platform sees generic errors only.

Names resolve from the `dns` table and every socket connect is watched (`connections`): a connect
beyond this machine is refused by the test before it leaves, so nothing here uses the network.
"""
from __future__ import annotations

import dataclasses
import datetime
import ipaddress
import json
import logging
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from chalicelib import runtime
from chalicelib.webhooks.addresses import AddressPolicy
from chalicelib.webhooks.delivery import Timeouts
from chalicelib.webhooks.pinned_http import pinned_session
from chalicelib.webhooks.sender import SendFailed, WebhookSender
from local.servers import LoopbackHTTPServer
from tests.functional.test_webhooks import create, deliveries, drain, receiver, register  # noqa: F401 - a fixture

HOST = "hooks.platform-a.example"
PUBLIC = "93.184.215.14"
FAST = Timeouts(connect=1.0, read=0.3)


@pytest.fixture
def connections(monkeypatch) -> list[tuple]:
    """Every (address, port) a socket connects to; anything but loopback is refused on the spot."""
    attempted: list[tuple] = []
    system_connect = socket.socket.connect

    def connect(sock, address):
        attempted.append(tuple(address[:2]))
        if not ipaddress.ip_address(address[0]).is_loopback:
            raise ConnectionRefusedError(111, "refused by the test: it never leaves this machine")
        return system_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempted


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def on_stage(stage: str, gw: runtime.Gateway, carrier) -> runtime.Gateway:
    """`gw`'s table and clock under the rules of `stage`, installed for the API."""
    if stage == gw.settings.stage:
        return gw
    gateway = runtime.Gateway(dataclasses.replace(gw.settings, stage=stage), gw.clock, store=gw.store,
                              adapters={"zto": carrier})
    runtime.use(gateway)
    return gateway


# -- registration ------------------------------------------------------------------------------

@pytest.mark.parametrize("inward", ["10.0.0.5", "169.254.169.254", "127.0.0.1", "100.64.0.7", "fd00::5"])
def test_a_host_name_resolving_inward_is_refused_at_registration(client, dns, inward):
    """A tenant registers its own name, which its DNS points at an address inside the gateway's network."""
    dns.answer(HOST, [inward])
    response = register(client, f"https://{HOST}/hooks")
    assert response.status_code == 400
    assert json.loads(response.body)["error"]["fields"] == [
        {"field": "url", "problem": "the host must resolve, and only to public addresses"}]


# -- delivery ------------------------------------------------------------------------------------

@pytest.mark.parametrize("stage, inward", [("test", "10.0.0.5"), ("test", "169.254.169.254"), ("test", "fd00::5"),
                                          ("prod", "127.0.0.1"), ("dev", "127.0.0.1"), ("prod", "10.0.0.5")])
def test_dns_rebinding_after_registration_is_refused_without_a_connection(client, gw, carrier, dns, connections,
                                                                          stage, inward):
    """DNS rebinding: the name is public while the gateway checks the registration, then the tenant
    points it inward before the webhook is sent. On dev and prod loopback (the gateway's own host)
    is inward too; only the local and test stages post to it."""
    gateway = on_stage(stage, gw, carrier)
    dns.answer(HOST, [PUBLIC])
    assert register(client, f"https://{HOST}/hooks").status_code == 200
    dns.answer(HOST, [inward])
    intercept_id = create(client)
    drain(gateway)
    [item] = deliveries(client, intercept_id)
    assert (item["status"], item["attempts_log"][0]["error"]) == ("pending", "address not allowed")
    assert connections == []


def test_rebinding_between_the_check_and_the_connect_is_never_used(client, gw, dns, connections):
    """DNS rebinding inside one attempt: the answer the worker checks is public, a second lookup
    (by a client connecting to the name rather than to the checked address) would get a private one."""
    dns.answer(HOST, [PUBLIC], [PUBLIC], ["10.0.0.5"])  # registration, the worker's check, any later lookup
    assert register(client, f"https://{HOST}/hooks").status_code == 200
    create(client)
    drain(gw)
    assert connections == [(PUBLIC, 443)]


def test_the_attempt_log_shows_a_generic_reason_and_the_log_the_detail(client, gw, caplog):
    """A port scan through the gateway: the attempt log must not tell refused from filtered ports
    or echo the socket's error; operators find the full error in the structured log."""
    port = closed_port()
    register(client, f"http://127.0.0.1:{port}/hooks")
    intercept_id = create(client)
    with caplog.at_level(logging.WARNING, logger="chalicelib.webhooks.delivery"):
        drain(gw)
    [item] = deliveries(client, intercept_id)
    assert [{key: value for key, value in entry.items() if key != "at"} for entry in item["attempts_log"]] == [
        {"url": f"http://127.0.0.1:{port}/hooks", "error": "connection failed"}]
    [record] = [record for record in caplog.records if record.getMessage() == "webhook attempt failed"]
    assert record.error == "connection failed"
    assert "Connection refused" in logging.Formatter().formatException(record.exc_info)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_the_local_stage_still_delivers_to_this_machine(client, gw, carrier, receiver, dns, host):
    """The laptop stack's receivers listen on 127.0.0.1; `localhost` may resolve to ::1 first."""
    dns.answer("localhost", ["::1", "127.0.0.1"])
    local = on_stage("local", gw, carrier)
    assert register(client, f"http://{host}:{urlsplit(receiver.url).port}/hooks").status_code == 200
    intercept_id = create(client)
    drain(local)
    assert [item["status"] for item in deliveries(client, intercept_id)] == ["delivered"]
    assert len(receiver.received) == 1


# -- the sender ------------------------------------------------------------------------------------

def test_each_failure_has_a_generic_reason(dns):
    """What the platform may learn of each failure: its kind, never the socket's words."""
    loopback = WebhookSender(AddressPolicy(loopback=True))
    dns.answer(HOST, ["10.0.0.5"])
    silent = socket.create_server(("127.0.0.1", 0))  # accepts the connection, never answers
    with silent:
        cases = {f"http://127.0.0.1:{closed_port()}/": "connection failed",
                 f"http://127.0.0.1:{silent.getsockname()[1]}/": "timed out",
                 f"https://{HOST}/": "address not allowed",
                 "https://unknown.platform-a.example/": "connection failed"}
        for url, reason in cases.items():
            with pytest.raises(SendFailed) as failed:
                loopback.post(url, "{}", {}, FAST)
            assert failed.value.reason == reason, url


def test_an_untrusted_certificate_is_a_tls_error(tmp_path, dns):
    dns.answer(HOST, ["127.0.0.1"])
    with RecordingReceiver(tmp_path, CertificateAuthority().issue(HOST)) as server:
        with pytest.raises(SendFailed) as failed:
            WebhookSender(AddressPolicy(loopback=True)).post(f"https://{HOST}:{server.port}/", "{}", {}, FAST)
    assert failed.value.reason == "TLS error"


def test_a_pinned_connection_sends_sni_and_verifies_the_certificate_for_the_host_name(tmp_path):
    """Pinning connects to the IP, but the certificate must still be the host name's: a receiver
    holding only a certificate for the IP (or for another name) is refused."""
    authority = CertificateAuthority()
    ca_file = str(authority.write(tmp_path / "ca.pem"))
    session = pinned_session(AddressPolicy(loopback=True), resolve=lambda host: ["127.0.0.1"])
    with RecordingReceiver(tmp_path, authority.issue(HOST)) as server:
        url = f"https://{HOST}:{server.port}/hooks"
        assert session.post(url, data=b"{}", verify=ca_file, timeout=5).status_code == 204
        assert server.server_names == [HOST]
        assert [headers["Host"] for headers in server.headers] == [f"{HOST}:{server.port}"]
    with RecordingReceiver(tmp_path, authority.issue("127.0.0.1")) as server:
        with pytest.raises(requests.exceptions.SSLError, match="mismatch"):
            session.post(f"https://{HOST}:{server.port}/hooks", data=b"{}", verify=ca_file, timeout=5)


def test_posts_share_one_pooled_connection_and_keep_no_cookies():
    """One session per worker container: a second webhook to the same endpoint reuses the
    connection; a cookie an endpoint sets is not sent back (it would reach other platforms' webhooks
    to the same host)."""
    sender = WebhookSender(AddressPolicy(loopback=True))
    with RecordingReceiver() as server:
        for _ in range(2):
            assert sender.post(server.url, "{}", {}, FAST) == 204
    assert len(server.client_ports) == 1
    assert [headers.get("Cookie") for headers in server.headers] == [None, None]


# -- receivers ------------------------------------------------------------------------------------

class RecordingReceiver:
    """A webhook endpoint on 127.0.0.1 speaking HTTP/1.1 (keep-alive), over TLS when given a
    certificate. Answers 204 with a cookie; records each request's client port and headers, and the
    server name (SNI) of each TLS handshake."""

    def __init__(self, directory: Path | None = None, certificate_and_key: tuple[bytes, bytes] | None = None) -> None:
        self.client_ports: set[int] = set()
        self.headers: list[dict] = []
        self.server_names: list[str | None] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.client_ports.add(self.client_address[1])
                receiver.headers.append(dict(self.headers))
                self.send_response(204)
                self.send_header("Set-Cookie", "session=platform-a; Path=/")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self._server = LoopbackHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_port
        scheme = "http"
        if certificate_and_key:
            (directory / "receiver.pem").write_bytes(b"".join(certificate_and_key))
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(directory / "receiver.pem")
            context.sni_callback = lambda connection, name, _: self.server_names.append(name)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.port}/hooks"

    def __enter__(self) -> RecordingReceiver:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


class CertificateAuthority:
    """A throwaway CA issuing certificates for one DNS name or IP address each."""

    def __init__(self) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "webhook test CA")])
        self.certificate = (self._builder(self._name, self._key.public_key())
                            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                            .sign(self._key, hashes.SHA256()))

    def _builder(self, subject: x509.Name, public_key) -> x509.CertificateBuilder:
        now = datetime.datetime.now(datetime.timezone.utc)
        return (x509.CertificateBuilder().subject_name(subject).issuer_name(self._name).public_key(public_key)
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(hours=1)))

    def issue(self, name: str) -> tuple[bytes, bytes]:
        """(certificate, key) in PEM for `name`."""
        key = ec.generate_private_key(ec.SECP256R1())
        try:
            alternative: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(name))
        except ValueError:
            alternative = x509.DNSName(name)
        certificate = (self._builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]), key.public_key())
                       .add_extension(x509.SubjectAlternativeName([alternative]), critical=False)
                       .sign(self._key, hashes.SHA256()))
        return (certificate.public_bytes(serialization.Encoding.PEM),
                key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))

    def write(self, path: Path) -> Path:
        path.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))
        return path
