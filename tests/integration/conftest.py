"""Fixtures shared by the integration tests: loopback stand-ins for other servers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ..fediverse_stub import FediverseStub
from .chat_app import serving


@pytest.fixture
async def fedi() -> AsyncIterator[FediverseStub]:
    """A Fediverse server on a free loopback port (its own key, WebFinger, inboxes)."""
    stub = FediverseStub()
    async with serving(stub.app()) as port:
        stub.port = port
        yield stub
