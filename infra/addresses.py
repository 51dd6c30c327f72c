"""Which network addresses are "inside": loopback, link-local (cloud metadata), private, shared
(carrier-grade NAT, Alibaba Cloud's metadata 100.100.100.200), unspecified, reserved, multicast.
A URL that third parties choose (an institution's webhook) must not make our servers reach them.
"""

from __future__ import annotations

import ipaddress
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Names that resolve inside by convention (RFC 6761 localhost, cloud-internal zones).
_INSIDE_SUFFIXES = (".localhost", ".internal", ".local", ".localdomain")
_NUMERIC = set("0123456789abcdefx.")


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def parse_address(host: str) -> IPAddress | None:
    """The address a host literal stands for, in any spelling a resolver accepts (`127.1`,
    `2130706433`, `0x7f.1`), or None for a name."""
    text = host.strip("[]").lower()
    try:
        return ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        pass
    if text and set(text) <= _NUMERIC:
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


def is_inside_host(host: str) -> bool:
    """A host that is, or by its name is, an inside address. Other names need resolving."""
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(_INSIDE_SUFFIXES):
        return True
    address = parse_address(name)
    return address is not None and not is_public(address)
