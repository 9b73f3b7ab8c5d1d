"""Which address the failed-login throttle counts against (web/auth.py ``throttle_address``)."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from owncast_runners.web.auth import throttle_address


def request(peer: str, forwarded: str | None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
    return Request({"type": "http", "method": "GET", "path": "/api/admin/status", "headers": headers,
                    "client": (peer, 40000)})


@pytest.mark.parametrize(("peer", "forwarded", "expected"), [
    ("198.51.100.9", None, "198.51.100.9"),
    ("198.51.100.9", "203.0.113.1", "198.51.100.9"),  # a public peer: whatever it claims is ignored
    ("127.0.0.1", None, "127.0.0.1"),
    ("127.0.0.1", "203.0.113.1", "203.0.113.1"),  # behind a local reverse proxy: the hop it added
    ("10.0.0.2", "192.0.2.50, 203.0.113.1", "203.0.113.1"),  # a client-sent first hop is not trusted
    ("::1", " ", "::1"),
])
def test_throttle_address(peer: str, forwarded: str | None, expected: str) -> None:
    assert throttle_address(request(peer, forwarded)) == expected
