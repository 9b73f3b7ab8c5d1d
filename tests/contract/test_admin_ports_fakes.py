"""Bindings of the admin/webhook/stats/geo contract suites for the in-memory fakes."""

from __future__ import annotations

import pytest

from owncast_core.domain.geo import GeoInfo
from owncast_core.errors import DeliveryFailed
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
from owncast_core.testing.fakes import (
    FakeHardwareMonitor,
    InMemoryLogHistory,
    InMemoryLogoStore,
    InMemoryMetricsExporter,
    InMemoryStatsRepository,
    InMemoryWebhookRepository,
    PlainPageRenderer,
    RecordingWebhookSender,
    StaticGeoIPLookup,
)


class TestInMemoryWebhookRepository(WebhookRepositoryContract):
    @pytest.fixture
    async def make_repository(self):  # type: ignore[no-untyped-def]
        repo = InMemoryWebhookRepository()

        async def make() -> InMemoryWebhookRepository:
            return repo

        return make


class TestRecordingWebhookSender(WebhookSenderContract):
    @pytest.fixture
    async def sender_env(self) -> SenderEnv:
        ok, error, dead = "http://hooks.test/ok", "http://hooks.test/error", "http://hooks.test/dead"
        sender = RecordingWebhookSender(routes={ok: 200, error: 500, dead: DeliveryFailed("connection refused")})
        return SenderEnv(sender, ok, error, dead,
                         received=lambda: [(body, headers) for url, body, headers in sender.requests if url == ok])


class TestInMemoryStatsRepository(StatsRepositoryContract):
    @pytest.fixture
    async def make_repository(self):  # type: ignore[no-untyped-def]
        repo = InMemoryStatsRepository()

        async def make() -> InMemoryStatsRepository:
            return repo

        return make


class TestFakeHardwareMonitor(HardwareMonitorContract):
    @pytest.fixture
    def monitor(self) -> FakeHardwareMonitor:
        return FakeHardwareMonitor()


class TestInMemoryMetricsExporter(MetricsExporterContract):
    @pytest.fixture
    def exporter(self) -> InMemoryMetricsExporter:
        return InMemoryMetricsExporter()


class TestInMemoryLogHistory(LogHistoryContract):
    @pytest.fixture
    def make_history(self):  # type: ignore[no-untyped-def]
        def make(capacity: int) -> tuple[InMemoryLogHistory, InMemoryLogHistory]:
            handler = InMemoryLogHistory(capacity=capacity)
            return handler, handler

        return make


class TestStaticGeoIPLookup(GeoIPLookupContract):
    @pytest.fixture
    def known(self) -> dict[str, GeoInfo]:
        return {"203.0.113.5": GeoInfo("NL", "North Holland", "Europe/Amsterdam")}

    @pytest.fixture
    def lookup(self, known: dict[str, GeoInfo]) -> StaticGeoIPLookup:
        return StaticGeoIPLookup(known)


class TestPlainPageRenderer(PageRendererContract):
    @pytest.fixture
    def renderer(self) -> PlainPageRenderer:
        return PlainPageRenderer()


class TestInMemoryLogoStore(LogoStoreContract):
    @pytest.fixture
    def logo_env(self) -> LogoEnv:
        store = InMemoryLogoStore()
        return LogoEnv(store, read=lambda name: store.files.get(name))
