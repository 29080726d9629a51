"""What a platform may register as its webhook URL, and which addresses webhooks may reach.

Every refusal models a tenant trying to make the gateway POST somewhere inside its own network
(server-side request forgery): a URL that one parser reads differently from another, an address
spelled so a string check misses it, or a host name whose DNS points inward. Names resolve from a
table here, never over the network.
"""
from __future__ import annotations

import ipaddress

import pytest

from chalicelib.webhooks.addresses import AddressNotAllowed, AddressPolicy, checked_addresses, pinned_address
from chalicelib.webhooks.endpoints import url_problem

PUBLIC_V4, PUBLIC_V6 = "93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"
DNS = {
    "hooks.platform.example": [PUBLIC_V4, PUBLIC_V6],
    "ten.platform.example": ["10.0.0.5"],
    "mixed.platform.example": [PUBLIC_V4, "10.0.0.5"],
    "mixed-v6.platform.example": [PUBLIC_V4, "fd00::1"],
    "metadata.platform.example": ["169.254.169.254"],
    "loopback.platform.example": ["127.0.0.1"],
    "loopback-v6.platform.example": ["::1"],
    "cgnat.platform.example": ["100.64.0.1"],
    "mapped.platform.example": ["::ffff:10.0.0.1"],
    "nat64.platform.example": ["64:ff9b::a9fe:a9fe"],
}


def resolve(host: str) -> list[str]:
    if host not in DNS:
        raise OSError(f"{host} does not resolve")
    return DNS[host]


def production_problem(url: str) -> str | None:
    """The rules of the dev and prod stages: no loopback at all."""
    return url_problem(url, allow_loopback_http=False, resolve=resolve)


NOT_PUBLIC = [
    "10.0.0.5", "172.16.0.1", "172.31.255.255", "192.168.1.1",        # private
    "127.0.0.1", "127.8.9.10",                                          # loopback
    "169.254.169.254", "169.254.0.1",                                   # link-local, instance metadata
    "100.64.0.1", "100.127.255.254",                                    # carrier-grade NAT
    "224.0.0.1", "239.255.255.250",                                     # multicast
    "0.0.0.0", "0.1.2.3",                                               # unspecified
    "255.255.255.255", "240.0.0.1",                                     # broadcast, reserved
    "198.18.0.1", "198.19.255.255",                                     # benchmarking
    "192.0.2.1", "198.51.100.7", "203.0.113.9",                         # documentation
    "192.0.0.8",                                                        # IETF protocol assignments
    "::1", "::", "fc00::1", "fd12:3456::1", "fe80::1", "ff02::1",       # IPv6 equivalents
    "2001:db8::1", "3fff::1", "100::1", "2001::1", "64:ff9b:1::1",      # documentation, discard, Teredo, local NAT64
    "::ffff:10.0.0.1", "::ffff:127.0.0.1", "::ffff:169.254.169.254",    # IPv4-mapped
    "::10.0.0.1", "::127.0.0.1",                                        # IPv4-compatible
    "64:ff9b::10.0.0.1", "64:ff9b::a9fe:a9fe", "64:ff9b::7f00:1",       # NAT64 of private, metadata, loopback
    "2002:a00:1::1",                                                    # 6to4 (of 10.0.0.1)
]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_no_address_inside_a_network_is_public(address):
    """A tenant naming an address behind the gateway, in any range or IPv6 disguise."""
    assert not AddressPolicy().allows(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", [PUBLIC_V4, "8.8.8.8", PUBLIC_V6, "2606:4700::1111", "64:ff9b::808:808"])
def test_public_addresses_are_allowed(address):
    assert AddressPolicy().allows(ipaddress.ip_address(address))


def test_loopback_is_allowed_only_by_a_policy_that_says_so():
    """The local and test stages post to receivers on this machine; no other stage may."""
    local, test, production = AddressPolicy(public=False, loopback=True), AddressPolicy(loopback=True), AddressPolicy()
    for address in map(ipaddress.ip_address, ("127.0.0.1", "::1", "::ffff:127.0.0.1")):
        assert local.allows(address) and test.allows(address) and not production.allows(address)
    assert not local.allows(ipaddress.ip_address(PUBLIC_V4))
    assert not test.allows(ipaddress.ip_address("10.0.0.5"))


def test_one_private_answer_refuses_the_host():
    """A tenant's DNS returning a public and a private address: the client might use either."""
    with pytest.raises(AddressNotAllowed) as refused:
        checked_addresses("mixed.platform.example", resolve, AddressPolicy())
    assert refused.value.refused == (ipaddress.ip_address("10.0.0.5"),)


def test_the_pinned_address_is_a_checked_one_ipv4_first():
    assert str(pinned_address("hooks.platform.example", lambda host: [PUBLIC_V6, PUBLIC_V4], AddressPolicy())) == PUBLIC_V4
    assert str(pinned_address("hooks.platform.example", lambda host: [PUBLIC_V6], AddressPolicy())) == PUBLIC_V6


# -- registration --------------------------------------------------------------------------------

LITERAL = "must not be a private, loopback or link-local address"
SPELLING = "must write an IPv4 address as four decimal numbers"
RESOLVES_INWARD = "the host must resolve, and only to public addresses"


@pytest.mark.parametrize("url, problem", [
    # userinfo: `https://trusted.example@10.0.0.5/` reads as one host to a person, another to a parser
    ("https://user:pw@hooks.platform.example/", "must be an absolute URL with a host and no credentials"),
    ("https://user@hooks.platform.example/", "must be an absolute URL with a host and no credentials"),
    ("https://@hooks.platform.example/", "must be an absolute URL with a host and no credentials"),
    ("https://hooks.platform.example@10.0.0.5/", "must be an absolute URL with a host and no credentials"),
    # whitespace and control characters, which parsers strip, split or keep differently
    (" https://hooks.platform.example/", "must not contain whitespace or control characters"),
    ("https://hooks.platform.example\t.10.0.0.5/", "must not contain whitespace or control characters"),
    ("https://hooks.platform.example/a b", "must not contain whitespace or control characters"),
    ("https://hooks.platform.example/\r\nHost: 10.0.0.5", "must not contain whitespace or control characters"),
    ("https://hooks.platform.example/\x00", "must not contain whitespace or control characters"),
    ("https://hooks.platform.example/\x7f", "must not contain whitespace or control characters"),
    ("https://hooks.platform.example/\u200bx", "must not contain whitespace or control characters"),
    ("https://hooks.platform.example/\u3000", "must not contain whitespace or control characters"),
    # hosts parsers cannot agree on
    ("https://[::1/", "must be a valid URL"),
    ("https://[hooks.platform.example]/", "must be a valid URL"),
    # schemes
    ("http://hooks.platform.example/", "must use https"),
    ("ftp://hooks.platform.example/", "must use https"),
    ("gopher://hooks.platform.example:6379/_FLUSHALL", "must use https"),
    ("file:///etc/passwd", "must be an absolute URL with a host and no credentials"),
    # ports: a public host's SSH, database or admin port is not a webhook receiver
    ("https://hooks.platform.example:22/", "must use port 443 or 8443"),
    ("https://hooks.platform.example:6379/", "must use port 443 or 8443"),
    ("https://hooks.platform.example:80/", "must use port 443 or 8443"),
    ("https://hooks.platform.example:0/", "must use port 443 or 8443"),
    ("https://hooks.platform.example:99999/", "must have a port number from 1 to 65535"),
    ("https://hooks.platform.example:+443/", "must have a port number from 1 to 65535"),
    # IPv4 spellings inet_aton reads as 127.0.0.1 (or 10.0.0.5)
    ("https://2130706433/", SPELLING),
    ("https://0x7f000001/", SPELLING),
    ("https://0x7f.1/", SPELLING),
    ("https://127.1/", SPELLING),
    ("https://0177.0.0.1/", SPELLING),
    ("https://10.5/", SPELLING),
    ("https://127.0.0.1./", SPELLING),
    # host names no resolver should complete or translate
    ("https://intranet/", "must name a fully qualified host in ASCII (the xn-- form for international names)"),
    ("https://%31%32%37.platform.example/", "must name a fully qualified host in ASCII (the xn-- form for international names)"),
    ("https://１２７.０.０.１/", "must name a fully qualified host in ASCII (the xn-- form for international names)"),
    # literal addresses of every forbidden range, IPv6 forms included
    *[(f"https://{address}/" if ":" not in address else f"https://[{address}]/", LITERAL) for address in NOT_PUBLIC],
    ("https://[fe80::1%25eth0]/", LITERAL),
    # host names resolving inward
    ("https://ten.platform.example/", RESOLVES_INWARD),
    ("https://metadata.platform.example/latest/meta-data/", RESOLVES_INWARD),
    ("https://loopback.platform.example/", RESOLVES_INWARD),
    ("https://loopback-v6.platform.example/", RESOLVES_INWARD),
    ("https://cgnat.platform.example/", RESOLVES_INWARD),
    ("https://mixed.platform.example/", RESOLVES_INWARD),
    ("https://mixed-v6.platform.example/", RESOLVES_INWARD),
    ("https://mapped.platform.example/", RESOLVES_INWARD),
    ("https://nat64.platform.example/", RESOLVES_INWARD),
    ("https://unknown.platform.example/", RESOLVES_INWARD),
])
def test_a_url_that_could_reach_inside_is_refused(url, problem):
    """Each case is one way a tenant could point the notify worker at the gateway's own network."""
    assert production_problem(url) == problem


@pytest.mark.parametrize("url", [
    "https://hooks.platform.example/webhooks?tenant=1",
    "https://HOOKS.platform.example:443/",
    "https://hooks.platform.example:8443/",
    f"https://{PUBLIC_V4}/hooks",
    "https://[2606:4700::1111]/hooks",
])
def test_a_public_https_url_is_accepted(url):
    assert production_problem(url) is None


def test_the_test_stage_accepts_plain_http_to_loopback_and_nothing_else_inward():
    """The test stage's receivers listen on 127.0.0.1; loopback reached another way stays refused."""
    def test_stage(url: str) -> str | None:
        return url_problem(url, allow_loopback_http=True, resolve=resolve)

    assert test_stage("http://127.0.0.1:9000/hooks") is None
    assert test_stage("http://localhost:9000/hooks") is None
    assert test_stage("https://127.0.0.1/hooks") == LITERAL
    assert test_stage("https://loopback.platform.example/") == RESOLVES_INWARD
    assert test_stage("http://hooks.platform.example/") == "must use https"
