"""Rendering the streamer's markdown for the web page (page content, offline message)."""

from __future__ import annotations

from typing import Protocol


class PageRenderer(Protocol):
    """Markdown to HTML as Owncast's ``utils.RenderPageContentMarkdown`` / ``RenderSimpleMarkdown``.

    The streamer is trusted (admin-only input): raw HTML passes through unchanged. ``page`` uses
    GitHub-flavoured markdown with http(s) autolinks and strips surrounding whitespace;
    ``simple`` is plain CommonMark with autolinks (no tables/strikethrough), also stripped. An
    empty input renders as ``""``. Both are pure and fast enough for request paths.
    """

    def page(self, markdown: str) -> str: ...

    def simple(self, markdown: str) -> str: ...
