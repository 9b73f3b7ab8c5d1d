"""``MetricsExporter`` with prometheus-client (a private registry: no global state)."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest


class PrometheusMetricsExporter:
    """Implements ``owncast_core.ports.stats.MetricsExporter``: one ``Gauge`` per name of
    ``gauges`` (name -> help text), each carrying the constant ``labels`` (Owncast: ``version``
    and ``host``)."""

    def __init__(self, *, gauges: Mapping[str, str], labels: Mapping[str, str] | None = None) -> None:
        self._registry = CollectorRegistry(auto_describe=True)
        self._labels = dict(labels or {})
        self._gauges = {
            name: Gauge(name, help_text, labelnames=tuple(self._labels), registry=self._registry)
            for name, help_text in gauges.items()
        }
        for gauge in self._gauges.values():
            self._child(gauge).set(0)

    def _child(self, gauge: Gauge) -> Gauge:
        return gauge.labels(**self._labels) if self._labels else gauge

    def set(self, name: str, value: float) -> None:
        self._child(self._gauges[name]).set(float(value))

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self._registry), CONTENT_TYPE_LATEST
