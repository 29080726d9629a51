"""The pinned webhook session: which connection parameters it gives urllib3, without opening any."""
from __future__ import annotations

import pytest
import requests

from chalicelib.webhooks.addresses import AddressNotAllowed, AddressPolicy
from chalicelib.webhooks.pinned_http import PinnedAddressAdapter, pinned_session

URL = "https://hooks.platform.example:8443/webhooks"


def prepared(url: str = URL) -> requests.PreparedRequest:
    return requests.Request("POST", url, data=b"{}").prepare()


def test_the_pool_connects_to_the_checked_address_and_verifies_tls_against_the_host_name():
    """Pinning must not turn certificate checks off or point them at the IP: a tenant (or anyone on
    the path) could then answer with any certificate. SNI and verification use the host name."""
    adapter = PinnedAddressAdapter(AddressPolicy(), resolve=lambda host: ["2606:4700::1111", "93.184.215.14"])
    request = prepared()
    pool = adapter.get_connection_with_tls_context(request, verify=True)
    assert (pool.host, pool.port) == ("93.184.215.14", 8443)
    assert pool.conn_kw["server_hostname"] == "hooks.platform.example"
    assert pool.cert_reqs == "CERT_REQUIRED"
    assert pool.assert_hostname is None  # not False: hostname checking stays on
    adapter.add_headers(request)
    assert request.headers["Host"] == "hooks.platform.example:8443"


def test_an_ipv6_pin_is_bracketed_and_the_host_header_keeps_the_name():
    adapter = PinnedAddressAdapter(AddressPolicy(), resolve=lambda host: ["2606:4700::1111"])
    request = prepared("https://hooks.platform.example/webhooks")
    pool = adapter.get_connection_with_tls_context(request, verify=True)
    assert pool.host == "2606:4700::1111"
    assert pool.conn_kw["server_hostname"] == "hooks.platform.example"
    adapter.add_headers(request)
    assert request.headers["Host"] == "hooks.platform.example"


def test_a_host_resolving_inward_gets_no_connection_pool():
    """DNS rebinding: the name was public when registered and points at the metadata service now."""
    adapter = PinnedAddressAdapter(AddressPolicy(), resolve=lambda host: ["169.254.169.254"])
    with pytest.raises(AddressNotAllowed):
        adapter.get_connection_with_tls_context(prepared(), verify=True)
    assert len(adapter.poolmanager.pools) == 0


def test_the_session_pins_both_schemes_and_takes_no_proxy_from_the_environment(monkeypatch):
    """An HTTPS_PROXY in the function's environment would resolve the host itself, past the pin."""
    monkeypatch.setenv("HTTPS_PROXY", "http://10.0.0.9:3128")
    session = pinned_session(AddressPolicy(), resolve=lambda host: ["93.184.215.14"])
    assert session.trust_env is False
    assert session.merge_environment_settings(URL, {}, None, None, None)["proxies"] == {}
    assert isinstance(session.get_adapter(URL), PinnedAddressAdapter)
    assert isinstance(session.get_adapter("http://127.0.0.1:9000/hooks"), PinnedAddressAdapter)
