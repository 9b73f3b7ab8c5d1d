"""``PageRenderer`` with markdown-it-py, matching Owncast's goldmark output for page content."""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict


def _del_open(self: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    return "<del>"


def _del_close(self: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    return "</del>"


def _build(*, gfm: bool) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "linkify": True})
    md.enable("linkify")
    if gfm:
        md.enable(["table", "strikethrough"])
        md.add_render_rule("s_open", _del_open)
        md.add_render_rule("s_close", _del_close)
    linkify: Any = md.linkify
    # goldmark's linkify with xurls.Strict links only URLs that carry a scheme (http/https).
    linkify.set({"fuzzy_link": False, "fuzzy_email": False, "fuzzy_ip": False})
    return md


class MarkdownItPageRenderer:
    """Implements ``owncast_core.ports.page.PageRenderer``.

    ``page``: CommonMark + GFM tables and strikethrough (``<del>``, as goldmark) + http(s)
    autolinks, raw HTML kept (the streamer is trusted). ``simple``: CommonMark + autolinks. Both
    strip surrounding whitespace of input and output.
    """

    def __init__(self) -> None:
        self._page = _build(gfm=True)
        self._simple = _build(gfm=False)

    def page(self, markdown: str) -> str:
        return str(self._page.render(markdown.strip())).strip()

    def simple(self, markdown: str) -> str:
        return str(self._simple.render(markdown.strip())).strip()
