"""Bindings of the admin/webhook/stats/geo contract suites for the real adapters."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest

from owncast_adapters.geoip.maxmind import MaxMindGeoIPLookup
from owncast_adapters.host.hardware import PsutilHardwareMonitor
from owncast_adapters.markdown.page import MarkdownItPageRenderer
from owncast_adapters.metrics.prometheus import PrometheusMetricsExporter
from owncast_adapters.sqlite.database import Database
from owncast_adapters.sqlite.stats_repository import SqliteStatsRepository
from owncast_adapters.sqlite.webhook_repository import SqliteWebhookRepository
from owncast_adapters.storage.logo import LocalLogoStore
from owncast_adapters.webhooks.httpx_sender import HttpxWebhookSender
from owncast_core.domain.geo import GeoInfo
from owncast_core.domain.stats import GAUGES
from owncast_core.services.log_history import LogHistoryBuffer
from owncast_core.testing.contracts.assets import LogoEnv, LogoStoreContract
from owncast_core.testing.contracts.geoip import GeoIPLookupContract
from owncast_core.testing.contracts.page import PageRendererContract
from owncast_core.testing.contracts.stats import (
    HardwareMonitorContract,
    LogHistoryContract,
    MetricsExporterContract,
    StatsRepositoryContract,
)
from owncast_core.testing.contracts.webhooks import (
    SenderEnv,
    WebhookRepositoryContract,
    WebhookSenderContract,
)

from ..geoip_support import write_city_db
from ..webhook_receiver import WebhookReceiver


@pytest.fixture
async def make_database(tmp_path: Path) -> AsyncIterator[object]:
    opened: list[Database] = []

    async def make() -> Database:
        for db in opened:
            await db.close()
        db = Database(tmp_path / "owncast.db")
        await db.open()
        opened.append(db)
        return db

    yield make
    for db in opened:
        await db.close()


class TestSqliteWebhookRepository(WebhookRepositoryContract):
    @pytest.fixture
    async def make_repository(self, make_database):  # type: ignore[no-untyped-def]
        async def make() -> SqliteWebhookRepository:
            return SqliteWebhookRepository(database=await make_database())

        return make


class TestSqliteStatsRepository(StatsRepositoryContract):
    @pytest.fixture
    async def make_repository(self, make_database):  # type: ignore[no-untyped-def]
        async def make() -> SqliteStatsRepository:
            return SqliteStatsRepository(database=await make_database())

        return make


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TestHttpxWebhookSender(WebhookSenderContract):
    @pytest.fixture
    async def sender_env(self) -> AsyncIterator[SenderEnv]:
        ok = await WebhookReceiver().start()
        error = await WebhookReceiver(default=500).start()
        sender = HttpxWebhookSender(allow_private=True)
        yield SenderEnv(sender, ok.url, error.url, f"http://127.0.0.1:{_dead_port()}/hook",
                        received=lambda: [(r.body, r.headers) for r in ok.requests])
        await sender.aclose()
        await ok.stop()
        await error.stop()


class TestPsutilHardwareMonitor(HardwareMonitorContract):
    @pytest.fixture
    def monitor(self, tmp_path: Path) -> PsutilHardwareMonitor:
        return PsutilHardwareMonitor(disk_path=tmp_path / "not-yet-created")

    async def test_cpu_is_measured_whichever_worker_thread_samples(
            self, monitor: PsutilHardwareMonitor) -> None:
        # sample() runs in the loop's worker threads, and consecutive samples may land on
        # different ones. psutil >= 5.9.6 remembers its "previous call" per thread id, so a
        # sample on a thread that had not sampled before read 0 % (the dashboard showed 0 %
        # CPU while transcoding). Its memory of threads that are gone (whose ids new threads
        # reuse) is cleared so that this fails the same way on every run.
        getattr(psutil, "_last_cpu_times", {}).clear()
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(1) as first, ThreadPoolExecutor(1) as second:
            loop.set_default_executor(first)
            await monitor.sample()
            deadline = time.monotonic() + 0.3
            while time.monotonic() < deadline:  # keep one core busy between the samples
                pass
            loop.set_default_executor(second)
            sample = await monitor.sample()
        assert sample.cpu > 0


class TestPrometheusMetricsExporter(MetricsExporterContract):
    @pytest.fixture
    def exporter(self) -> PrometheusMetricsExporter:
        return PrometheusMetricsExporter(gauges=GAUGES, labels={"version": "0.2.3", "host": "unknown"})


class TestLogHistoryBuffer(LogHistoryContract):
    @pytest.fixture
    def make_history(self):  # type: ignore[no-untyped-def]
        def make(capacity: int) -> tuple[LogHistoryBuffer, LogHistoryBuffer]:
            handler = LogHistoryBuffer(capacity=capacity)
            return handler, handler

        return make


class TestMaxMindGeoIPLookup(GeoIPLookupContract):
    @pytest.fixture
    def known(self, tmp_path: Path) -> dict[str, GeoInfo]:
        return write_city_db(tmp_path / "GeoLite2-City.mmdb")

    @pytest.fixture
    async def lookup(self, tmp_path: Path, known: dict[str, GeoInfo]) -> AsyncIterator[MaxMindGeoIPLookup]:
        lookup = MaxMindGeoIPLookup(tmp_path / "GeoLite2-City.mmdb")
        await lookup.open()
        yield lookup
        await lookup.close()


class TestMaxMindGeoIPLookupWithoutDatabase(GeoIPLookupContract):
    @pytest.fixture
    def known(self) -> dict[str, GeoInfo]:
        return {}

    @pytest.fixture
    async def lookup(self, tmp_path: Path) -> MaxMindGeoIPLookup:
        lookup = MaxMindGeoIPLookup(tmp_path / "missing.mmdb")
        await lookup.open()
        return lookup


class TestMaxMindGeoIPLookupCorruptDatabase(GeoIPLookupContract):
    @pytest.fixture
    def known(self) -> dict[str, GeoInfo]:
        return {}

    @pytest.fixture
    async def lookup(self, tmp_path: Path) -> MaxMindGeoIPLookup:
        path = tmp_path / "corrupt.mmdb"
        path.write_bytes(b"\xab\xcd\xefMaxMind.com" + b"\x00garbage" * 500)
        lookup = MaxMindGeoIPLookup(path, logger=logging.getLogger("test.geoip.corrupt"))
        await lookup.open()
        return lookup


class TestMarkdownItPageRenderer(PageRendererContract):
    @pytest.fixture
    def renderer(self) -> MarkdownItPageRenderer:
        return MarkdownItPageRenderer()


class TestLocalLogoStore(LogoStoreContract):
    @pytest.fixture
    def logo_env(self, tmp_path: Path) -> LogoEnv:
        def read(name: str) -> bytes | None:
            path = tmp_path / name
            return path.read_bytes() if path.exists() else None

        return LogoEnv(LocalLogoStore(data_dir=tmp_path), read)
