"""Builds small MaxMind (GeoLite2-City shaped) databases for tests, with mmdb-writer."""

from __future__ import annotations

from pathlib import Path

from mmdb_writer import MMDBWriter
from netaddr import IPSet

from owncast_core.domain.geo import GeoInfo

CITIES: dict[str, tuple[str, GeoInfo]] = {
    "203.0.113.0/24": ("203.0.113.5", GeoInfo("NL", "North Holland", "Europe/Amsterdam")),
    "198.18.0.0/16": ("198.18.7.7", GeoInfo("US", "Oregon", "America/Los_Angeles")),
}
"""network -> (an address in it, what a lookup of it must give)."""


def write_city_db(path: Path) -> dict[str, GeoInfo]:
    """Write a GeoIP2-City shaped database to ``path``; returns address -> expected ``GeoInfo``."""
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-City", languages=["en"],
                        description="owncast-py test database")
    for network, (_, geo) in CITIES.items():
        writer.insert_network(IPSet([network]), {
            "country": {"iso_code": geo.country_code, "names": {"en": geo.country_code}},
            "subdivisions": [{"iso_code": "XX", "names": {"en": geo.region_name}}],
            "location": {"time_zone": geo.time_zone, "latitude": 1.0, "longitude": 2.0},
        })
    writer.to_db_file(str(path))
    return {address: geo for address, geo in CITIES.values()}
