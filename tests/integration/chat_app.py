"""An in-process Hypercorn serving the chat routes on a ChatService built on fakes."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from hypercorn.asyncio import serve
from hypercorn.config import Config
from starlette.applications import Starlette

from owncast_core.testing.fakes import InMemoryEmojiStore
from owncast_runners.web import chat_api, chat_ws, emoji, moderation

from ..unit.chat_rig import ChatRig


def chat_app(
    rig: ChatRig, emoji_store: InMemoryEmojiStore, *, max_connections: int | None = None
) -> Starlette:
    return Starlette(
        routes=[
            *chat_ws.routes(chat=rig.chat, max_connections=max_connections),
            *chat_api.routes(chat=rig.chat, users=rig.users),
            *moderation.routes(chat=rig.chat, users=rig.users, config=rig.config),
            *emoji.routes(emoji=emoji_store, config=rig.config),
        ]
    )


@asynccontextmanager
async def serving(
    app: object, *, ping_interval: float | None = None, read_timeout: float | None = None
) -> AsyncIterator[int]:
    """Serve ``app`` on a free loopback port; yields the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.setblocking(False)
    config = Config()
    config.bind = [f"fd://{sock.fileno()}"]
    config.accesslog = None
    config.graceful_timeout = 0.5
    if ping_interval is not None:
        chat_ws.configure_hypercorn(config, ping_interval=ping_interval, read_timeout=read_timeout or 60.0)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait, mode="asgi"))  # type: ignore[arg-type]
    await asyncio.sleep(0.05)
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
        with contextlib.suppress(OSError):  # Hypercorn closes the fd it served
            sock.close()
