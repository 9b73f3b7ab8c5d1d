"""``owncast serve`` as a process: what the person starting it sees when it cannot start."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from ..conftest import OwncastProcess

pytestmark = pytest.mark.integration


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
