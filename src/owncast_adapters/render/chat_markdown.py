"""``MessageRenderer`` with markdown-it-py (+ linkify-it-py) and the nh3 sanitiser.

Mirrors Owncast's chat rendering (``core/chat/events``): goldmark CommonMark with raw HTML
passed through, http/https autolinks, then bluemonday's strict policy plus links, ``br``, ``p``,
``strong``, ``em``, ``code``, ``pre`` and emoji images from ``/img/emoji/``.
"""

from __future__ import annotations

import re
from typing import Any

import nh3
from markdown_it import MarkdownIt

_EMOJI_SRC = re.compile(r"^/img/emoji/[^.%]*\.[A-Z]*$", re.IGNORECASE)
_EMOJI_ALT = re.compile(r"^:\S+:$")
_EMOJI_CLASS = re.compile(r"^emoji[A-Z_]*$", re.IGNORECASE)
_IMG_WITHOUT_SRC = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")
_ABSOLUTE_LINK = re.compile(r'<a href="(https?://[^"]*)"')

_TAGS = {"a", "br", "p", "strong", "em", "code", "pre", "img"}
_ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt", "title", "class"}}


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag != "img":
        return value
    if attribute == "src":
        return value if _EMOJI_SRC.match(value) and ".." not in value else None
    if attribute in ("alt", "title"):
        return value if _EMOJI_ALT.match(value) else None
    if attribute == "class":
        return value if _EMOJI_CLASS.match(value) else None
    return None


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "linkify": True})
    md.enable("linkify")
    linkify: Any = md.linkify
    linkify.set({"fuzzy_link": False, "fuzzy_email": False, "fuzzy_ip": False})
    return md


class MarkdownChatRenderer:
    """Implements ``owncast_core.ports.render.MessageRenderer`` (see its contract)."""

    def __init__(self) -> None:
        self._md = _markdown()
        self._cleaner = nh3.Cleaner(
            tags=_TAGS,
            attributes=_ATTRIBUTES,
            url_schemes={"http", "https", "mailto"},
            link_rel="nofollow noreferrer noopener",
            attribute_filter=_keep_attribute,
            strip_comments=True,
        )

    def render_trusted(self, text: str) -> str:
        return self._md.render(text.strip()).strip() if text and text.strip() else ""

    def render_user(self, text: str) -> str:
        html = self.render_trusted(text)
        if not html:
            return ""
        safe = self._cleaner.clean(html)
        safe = _IMG_WITHOUT_SRC.sub("", safe)
        safe = _ABSOLUTE_LINK.sub(r'<a href="\1" target="_blank"', safe)
        return safe.strip()
