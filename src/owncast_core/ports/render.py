"""Text ports: markdown rendering for chat, and the optional language filter."""

from __future__ import annotations

from typing import Protocol


class MessageRenderer(Protocol):
    """Markdown to HTML for chat (pure, fast, synchronous; safe to call on the event loop).

    Contract (``owncast_core.testing.contracts.render.MessageRendererContract``):
    - ``render_user(text)`` is for anything a chat user typed: markdown (with http/https links
      made clickable) turned into HTML that is then **sanitised**, and trimmed. ``hello`` gives
      ``<p>hello</p>``; whitespace-only input gives ``""``. The result is inert: no script or
      style elements, no event-handler attributes, no ``javascript:``/``data:`` URLs, no element
      outside ``p br strong em code pre a img``, ``img`` only with a ``src`` under ``/img/emoji/``,
      and links get ``rel="noreferrer"`` (plus ``target="_blank"`` when absolute).
    - ``render_trusted(text)`` is for the streamer and integrations (chat actions, system and
      bot messages, the welcome message): markdown to HTML **without** sanitising, trimmed.
    """

    def render_user(self, text: str) -> str: ...

    def render_trusted(self, text: str) -> str: ...


class ContentFilter(Protocol):
    """The chat language ("slur") filter: ``allowed(text)`` is false for text containing a word
    or phrase of its list (case-insensitive, whole words, common letter substitutions)."""

    def allowed(self, text: str) -> bool: ...
