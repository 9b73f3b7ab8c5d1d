"""The GeoIP port: where a client address is."""

from __future__ import annotations

from typing import Protocol

from owncast_core.domain.geo import GeoInfo


class GeoIPLookup(Protocol):
    """Looks up where an IP address is.

    Contract (``owncast_core.testing.contracts.geoip.GeoIPLookupContract``):
    - ``lookup`` never raises for a bad or unknown address and never blocks the event loop: it
      returns ``None`` when nothing is known (no database, address not in it, malformed address).
    - Loopback and private addresses give ``domain.geo.LOCALHOST`` (``regionName: "Localhost"``)
      without consulting any database.
    - ``available`` tells whether a database is loaded (for logs and diagnostics).
    """

    async def lookup(self, address: str) -> GeoInfo | None: ...

    @property
    def available(self) -> bool: ...
