"""``GeoIPLookup`` over a MaxMind GeoLite2-City database with geoip2."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from pathlib import Path
from typing import Any

import geoip2.database
import geoip2.errors
import maxminddb

from owncast_core.domain.geo import LOCALHOST, GeoInfo, is_local_address, parse_address

CACHE_SIZE = 4096


class MaxMindGeoIPLookup:
    """Implements ``owncast_core.ports.geoip.GeoIPLookup`` (see its contract).

    The database at ``path`` is opened on first use, in a worker thread. A missing file means
    "no geo" (logged once at INFO); an unreadable or corrupt one is logged once as an error and
    also means "no geo" — lookups then return ``None`` without touching the disk again. Lookups
    run in a worker thread and are cached (LRU, ``cache_size`` addresses).
    """

    def __init__(self, path: str | Path, *, cache_size: int = CACHE_SIZE,
                 logger: logging.Logger | None = None) -> None:
        self._path = Path(path)
        self._cache_size = cache_size
        self._log = logger or logging.getLogger("owncast.geoip")
        self._reader: geoip2.database.Reader | None = None
        self._opened = False
        self._lock = asyncio.Lock()
        self._cache: OrderedDict[str, GeoInfo | None] = OrderedDict()

    @property
    def available(self) -> bool:
        return self._reader is not None

    async def open(self) -> None:
        """Open the database now (otherwise the first lookup does); never raises."""
        async with self._lock:
            if not self._opened:
                self._reader = await asyncio.to_thread(self._open_sync)
                self._opened = True

    def _open_sync(self) -> geoip2.database.Reader | None:
        if not self._path.is_file():
            self._log.info("no GeoIP database at %s: client locations are not shown", self._path)
            return None
        try:
            reader = geoip2.database.Reader(str(self._path))
        except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
            self._log.error("the GeoIP database %s cannot be read (%s): client locations are not shown",
                            self._path, exc)
            return None
        self._log.info("GeoIP database loaded from %s", self._path)
        return reader

    async def lookup(self, address: str) -> GeoInfo | None:
        ip = parse_address(address)
        if ip is None:
            return None
        if is_local_address(str(ip)):
            return LOCALHOST
        key = str(ip)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        if not self._opened:
            await self.open()
        reader = self._reader
        if reader is None:
            return None
        try:
            geo = await asyncio.to_thread(self._lookup_sync, reader, key)
        except (maxminddb.InvalidDatabaseError, OSError, geoip2.errors.GeoIP2Error) as exc:
            if self._reader is reader:
                self._log.error("the GeoIP database %s is corrupt (%s): client locations are not shown",
                                self._path, exc)
                self._reader = None
            return None
        self._cache[key] = geo
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return geo

    def _lookup_sync(self, reader: geoip2.database.Reader, address: str) -> GeoInfo | None:
        try:
            record: Any = reader.city(address)
        except (geoip2.errors.AddressNotFoundError, ValueError, TypeError):
            return None
        region = record.subdivisions[0].name if record.subdivisions else ""
        return GeoInfo(country_code=record.country.iso_code or "", region_name=region or "",
                       time_zone=record.location.time_zone or "")

    async def close(self) -> None:
        if self._reader is not None:
            reader, self._reader = self._reader, None
            await asyncio.to_thread(reader.close)
