"""Geographic information about a client address (Owncast ``geoip.GeoDetails``)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class GeoInfo:
    """Where an address is. ``region_name`` is ``"Localhost"`` for loopback/private addresses."""

    country_code: str = ""
    region_name: str = ""
    time_zone: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"countryCode": self.country_code, "regionName": self.region_name, "timeZone": self.time_zone}


LOCALHOST = GeoInfo(country_code="N/A", region_name="Localhost", time_zone="")


def parse_address(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address in ``address`` (IPv4-mapped IPv6 unwrapped), or ``None`` if it is not one."""
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


# Go's netip.Addr.IsPrivate: RFC 1918 and RFC 4193 (Python's ``is_private`` is much wider: it
# includes the documentation ranges, which are routable test addresses here).
_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)


def is_private_ip(address: str) -> bool:
    """True when ``address`` is an IP in a private range (RFC 1918 / RFC 4193), as Go's ``IsPrivate``."""
    ip = parse_address(address)
    return ip is not None and any(ip in net for net in _PRIVATE_NETWORKS if net.version == ip.version)


def is_local_address(address: str) -> bool:
    """True for loopback, private, link-local and unspecified IP addresses (not for names)."""
    ip = parse_address(address)
    if ip is None:
        return False
    return ip.is_loopback or ip.is_link_local or ip.is_unspecified or is_private_ip(address)


def names_local_host(host: str) -> bool:
    """True for ``localhost`` names and loopback/private IP literals (other names need resolving
    to tell; outbound senders check the resolved addresses)."""
    host = host.lower().rstrip(".")
    return host == "localhost" or host.endswith(".localhost") or is_local_address(host)
