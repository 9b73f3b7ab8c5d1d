"""Contract suites for ``StatsRepository``, ``HardwareMonitor``, ``MetricsExporter`` and ``LogHistory``."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from owncast_core.domain.stats import GAUGES
from owncast_core.ports.stats import HardwareMonitor, LogHistory, MetricsExporter, StatsRepository

RepositoryFactory = Callable[[], Awaitable[StatsRepository]]
T0 = datetime(2026, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)


class StatsRepositoryContract:
    """Provide ``make_repository`` (a second call: a handle on the same store)."""

    @pytest.fixture
    async def make_repository(self) -> RepositoryFactory:  # pragma: no cover - bindings override
        raise NotImplementedError

    @pytest.fixture
    async def repository(self, make_repository: RepositoryFactory) -> StatsRepository:
        return await make_repository()

    async def test_samples_since_a_time_oldest_first(self, repository: StatsRepository) -> None:
        for minutes, count in ((4, 7), (0, 1), (2, 3)):
            await repository.add_viewer_count(T0 + timedelta(minutes=minutes), count)
        points = await repository.viewer_counts(T0 + timedelta(minutes=1))
        expected = [(T0 + timedelta(minutes=2), 3), (T0 + timedelta(minutes=4), 7)]
        assert [(p.time, p.value) for p in points] == expected
        assert all(p.time.tzinfo is not None for p in points)
        assert [p.value for p in await repository.viewer_counts(T0)] == [1, 3, 7]

    async def test_prune(self, repository: StatsRepository) -> None:
        for minutes in range(5):
            await repository.add_viewer_count(T0 + timedelta(minutes=minutes), minutes)
        assert await repository.prune(T0 + timedelta(minutes=3)) == 3
        assert [p.value for p in await repository.viewer_counts(T0)] == [3, 4]

    async def test_persists(self, make_repository: RepositoryFactory) -> None:
        await (await make_repository()).add_viewer_count(T0, 42)
        assert [p.value for p in await (await make_repository()).viewer_counts(T0)] == [42]


class HardwareMonitorContract:
    """Provide a ``monitor`` fixture."""

    @pytest.fixture
    def monitor(self) -> HardwareMonitor:  # pragma: no cover - bindings override
        raise NotImplementedError

    async def test_samples_are_percentages(self, monitor: HardwareMonitor) -> None:
        for _ in range(2):
            sample = await monitor.sample()
            for value in (sample.cpu, sample.memory, sample.disk):
                assert 0.0 <= value <= 100.0


class MetricsExporterContract:
    """Provide an ``exporter`` fixture built with ``owncast_core.domain.stats.GAUGES``."""

    @pytest.fixture
    def exporter(self) -> MetricsExporter:  # pragma: no cover - bindings override
        raise NotImplementedError

    def test_every_gauge_is_exposed(self, exporter: MetricsExporter) -> None:
        text, content_type = exporter.exposition()
        assert content_type.startswith("text/plain")
        for name in GAUGES:
            assert f"# TYPE {name} gauge" in text.decode()

    def test_set_value_appears(self, exporter: MetricsExporter) -> None:
        exporter.set("owncast_instance_cpu_usage", 42.5)
        lines = [line for line in exporter.exposition()[0].decode().splitlines()
                 if line.startswith("owncast_instance_cpu_usage")]
        assert lines and all(line.split()[-1] == "42.5" for line in lines)

    def test_unknown_gauge_raises(self, exporter: MetricsExporter) -> None:
        with pytest.raises(KeyError):
            exporter.set("no_such_gauge", 1)


class LogHistoryContract:
    """Provide ``make_history``: a callable ``(capacity) -> (history, handler)`` where
    ``handler`` is the ``logging.Handler`` feeding the history (often the history itself)."""

    @pytest.fixture
    def make_history(self) -> Callable[[int], tuple[LogHistory, logging.Handler]]:  # pragma: no cover
        raise NotImplementedError

    @pytest.fixture
    def history(self, make_history: Callable[[int], tuple[LogHistory, logging.Handler]],
                request: pytest.FixtureRequest) -> Iterator[tuple[LogHistory, logging.Logger]]:
        log_history, handler = make_history(5)
        logger = logging.getLogger(f"owncast.contract.{request.node.name}")
        logger.setLevel(logging.INFO)
        logger.propagate = False
        logger.addHandler(handler)
        yield log_history, logger
        logger.removeHandler(handler)

    def test_records_in_order_with_levels(self, history: tuple[LogHistory, logging.Logger]) -> None:
        log_history, logger = history
        logger.info("hello %s", "world")
        logger.warning("careful")
        logger.error("broken")
        entries = log_history.entries()
        assert [(e.level, e.message) for e in entries] == [("info", "hello world"), ("warning", "careful"),
                                                           ("error", "broken")]
        assert all(e.time.tzinfo is not None for e in entries)
        assert [e.message for e in log_history.entries(warnings_only=True)] == ["careful", "broken"]

    def test_bounded(self, history: tuple[LogHistory, logging.Logger]) -> None:
        log_history, logger = history
        for i in range(12):
            logger.info("line %d", i)
        assert [e.message for e in log_history.entries()] == [f"line {i}" for i in range(7, 12)]
