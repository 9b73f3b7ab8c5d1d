"""Contract suite for ``GeoIPLookup``."""

from __future__ import annotations

import pytest

from owncast_core.domain.geo import GeoInfo
from owncast_core.ports.geoip import GeoIPLookup


class GeoIPLookupContract:
    """Provide ``lookup`` (a ``GeoIPLookup``) and ``known``: a dict address -> ``GeoInfo`` the
    lookup must answer (may be empty for a lookup without a database)."""

    @pytest.fixture
    def lookup(self) -> GeoIPLookup:  # pragma: no cover - bindings override
        raise NotImplementedError

    @pytest.fixture
    def known(self) -> dict[str, GeoInfo]:  # pragma: no cover - bindings override
        raise NotImplementedError

    @pytest.mark.parametrize("address", ["127.0.0.1", "::1", "10.1.2.3", "192.168.0.9", "::ffff:127.0.0.1"])
    async def test_local_addresses_are_localhost(self, lookup: GeoIPLookup, address: str) -> None:
        geo = await lookup.lookup(address)
        assert geo is not None and geo.region_name == "Localhost"

    @pytest.mark.parametrize("address", ["", "not an ip", "999.1.1.1", "example.com"])
    async def test_malformed_addresses_give_none(self, lookup: GeoIPLookup, address: str) -> None:
        assert await lookup.lookup(address) is None

    async def test_unknown_public_address_gives_none(self, lookup: GeoIPLookup) -> None:
        assert await lookup.lookup("198.51.100.77") is None

    async def test_known_addresses(self, lookup: GeoIPLookup, known: dict[str, GeoInfo]) -> None:
        for address, geo in known.items():
            assert await lookup.lookup(address) == geo
        assert lookup.available is bool(known)
