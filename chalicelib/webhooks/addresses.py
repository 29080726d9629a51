"""Which network addresses a webhook may be sent to: one policy, applied when a platform registers
its URL and again by the notify worker just before it connects.

A platform chooses the URL, so without this policy the gateway would POST wherever a tenant points
it: the instance metadata service, a database inside the VPC, this machine. Pure: the resolver
(host name to address strings) is passed in, so tests answer from a table and nothing here opens a
socket.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Callable, Sequence

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: A host name to every address it resolves to (A and AAAA), most preferred first.
Resolver = Callable[[str], Sequence[str]]

#: Never public, listed rather than left to `ipaddress.is_global`, whose ranges changed between
#: Python releases (3.11.10, 3.12.4, 3.13); `is_global` still applies on top of this list.
_NOT_PUBLIC = tuple(ipaddress.ip_network(network) for network in (
    "0.0.0.0/8",         # unspecified, "this network"
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  # private (RFC 1918)
    "100.64.0.0/10",     # carrier-grade NAT: the provider's side of the network
    "127.0.0.0/8",       # loopback
    "169.254.0.0/16",    # link-local, with the instance metadata service at 169.254.169.254
    "192.0.0.0/24",      # IETF protocol assignments
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",  # documentation
    "198.18.0.0/15",     # benchmarking
    "224.0.0.0/4",       # multicast
    "240.0.0.0/4",       # reserved, with the broadcast address 255.255.255.255
    "::/128", "::1/128",  # unspecified, loopback
    "64:ff9b:1::/48",    # local-use NAT64
    "100::/64",          # discard-only
    "2001::/23",         # IETF protocol assignments, Teredo among them
    "2001:db8::/32", "3fff::/20",  # documentation
    "2002::/16",         # 6to4: stands for an IPv4 address behind a relay
    "fc00::/7",          # unique local (the IPv6 private range)
    "fe80::/10",         # link-local
    "ff00::/8",          # multicast
))
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class AddressNotAllowed(Exception):
    """The host is, or resolves to, an address the policy does not allow."""

    def __init__(self, host: str, refused: Sequence[IPAddress]) -> None:
        shown = ", ".join(str(address) for address in refused) or "no address"
        super().__init__(f"{host} resolves to {shown}, which webhooks may not reach")
        self.host = host
        self.refused = tuple(refused)


def _reached_address(address: IPAddress) -> IPAddress:
    """The address a connection to `address` reaches: the IPv4 address inside an IPv4-mapped
    (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) or NAT64 (64:ff9b::a.b.c.d) IPv6 address, else
    `address` itself (`::` and `::1` are themselves, not IPv4-compatible forms)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
            return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return address


def _is_public(address: IPAddress) -> bool:
    """Globally reachable by `ipaddress`'s account, and in none of the ranges listed above."""
    return address.is_global and not address.is_reserved and not any(address in network for network in _NOT_PUBLIC)


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses webhooks may reach: public ones, and loopback only where the receivers run
    on this machine (the local and test stages; the local stage reaches nothing else)."""

    public: bool = True
    loopback: bool = False

    def allows(self, address: IPAddress) -> bool:
        reached = _reached_address(address)
        if reached.is_loopback:
            return self.loopback
        return self.public and _is_public(reached)


def checked_addresses(host: str, resolve: Resolver, policy: AddressPolicy) -> list[IPAddress]:
    """Every address `host` resolves to, when the policy allows each one. One refused answer
    refuses the host: which answer a client ends up using is the DNS server's choice, not ours.
    Raises AddressNotAllowed, or the resolver's OSError when the name does not resolve."""
    addresses = [ipaddress.ip_address(answer) for answer in resolve(host)]
    refused = [address for address in addresses if not policy.allows(address)]
    if refused or not addresses:
        raise AddressNotAllowed(host, refused)
    return addresses


def pinned_address(host: str, resolve: Resolver, policy: AddressPolicy) -> IPAddress:
    """The checked address to connect to: the first IPv4 answer, else the first answer. IPv4
    first because Lambda functions outside a VPC have no IPv6 route, and because `localhost` may
    resolve to ::1 first while the local receivers listen on 127.0.0.1."""
    addresses = checked_addresses(host, resolve, policy)
    return next((address for address in addresses if address.version == 4), addresses[0])
