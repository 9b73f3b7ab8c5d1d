"""Contract suite for ``PageRenderer``."""

from __future__ import annotations

import pytest

from owncast_core.ports.page import PageRenderer


class PageRendererContract:
    """Provide a ``renderer`` fixture."""

    @pytest.fixture
    def renderer(self) -> PageRenderer:  # pragma: no cover - bindings override
        raise NotImplementedError

    def test_empty_renders_empty(self, renderer: PageRenderer) -> None:
        assert renderer.page("") == "" and renderer.simple("  \n ") == ""

    def test_paragraph_and_trimming(self, renderer: PageRenderer) -> None:
        assert renderer.simple("  hello  \n") == "<p>hello</p>"
        assert renderer.page("hello") == "<p>hello</p>"

    def test_raw_html_passes_through(self, renderer: PageRenderer) -> None:
        html = '<video controls src="https://v.example/x.mp4"></video>'
        assert html in renderer.page(html)

    def test_http_urls_are_linked(self, renderer: PageRenderer) -> None:
        out = renderer.simple("see https://owncast.online now")
        assert '<a href="https://owncast.online">https://owncast.online</a>' in out
