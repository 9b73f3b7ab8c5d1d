"""``owncast serve`` as a process: what the person starting it sees when it cannot start."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
import pytest

from ..conftest import OwncastProcess
from ..webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.integration
ADMIN = ("admin", "abc123")


def test_a_busy_rtmp_port_ends_the_server_with_an_error(tmp_path: Path) -> None:
    # the web server is already up when the RTMP listener fails: the process must not stay half
    # started (serving the page with no ingest, deaf to Ctrl-C and SIGTERM) but stop and say why
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        server = OwncastProcess(data_dir=tmp_path / "data", rtmp_port=busy.getsockname()[1])
        try:
            with pytest.raises(RuntimeError, match="owncast exited with 1") as exited:
                server.start(timeout=30)
        finally:
            if server.proc is not None and server.proc.poll() is None:
                server.proc.kill()
                server.proc.wait()
    assert "cannot start" in str(exited.value)
    assert "Traceback" not in server.log()


def test_a_busy_web_port_is_named_in_the_error(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        server = OwncastProcess(data_dir=tmp_path / "data", web_port=port)
        with pytest.raises(RuntimeError, match="owncast exited with 1") as exited:
            server.start(timeout=30)
    assert f"cannot start: cannot listen on 127.0.0.1 port {port}: " in str(exited.value)


async def test_outbound_requests_are_not_logged_one_by_one(tmp_path: Path) -> None:
    # httpx logs every request at INFO: a line per webhook delivery in the log and the admin
    # Logs page, with the full URL (a Discord webhook URL carries its secret token)
    server = OwncastProcess(data_dir=tmp_path / "data", env={"OWNCAST_WEBHOOKS_ALLOW_PRIVATE": "true"}).start()
    receiver = await WebhookReceiver().start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=10, auth=ADMIN) as client:
            hook = {"url": receiver.url + "/secret-token", "events": ["STREAM_TITLE_UPDATED"]}
            assert (await client.post("/api/admin/webhooks/create", json=hook)).status_code == 200
            await client.post("/api/admin/config/streamtitle", json={"value": "Logged?"})
            await receiver.wait_for(1, timeout=10)
            await asyncio.sleep(0.5)
            admin_logs = (await client.get("/api/admin/logs")).text
    finally:
        await receiver.stop()
        assert server.stop() == 0
    for text in (server.log(), admin_logs):
        assert "secret-token" not in text and "HTTP Request" not in text
