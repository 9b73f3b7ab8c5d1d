"""Moving from Owncast, end to end: a Go Owncast v0.2 working directory (Owncast's schema, values
from the real Go gob encoder) imported with ``owncast import-owncast`` (the CLI entry point, in
this process), then our real server started on the imported data directory and checked over
HTTP and the chat WebSocket."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from owncast_runners import cli

from ..owncast_v02_db import ADMIN_PASSWORD, GIF, PNG, OwncastV02, build_owncast_v02
from .in_process import running_server

pytestmark = pytest.mark.integration


async def run_cli(*argv: str) -> int:
    """``owncast <argv>`` in this process (in a worker thread: the CLI runs its own event loop)."""
    return await asyncio.to_thread(cli.main, list(argv))


@pytest.fixture
def go(tmp_path: Path) -> OwncastV02:
    return build_owncast_v02(tmp_path / "owncast")


def counts(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
                for table in ("config", "users", "user_access_tokens", "messages", "ip_bans", "webhooks",
                              "ap_followers", "ap_accepted_activities", "notifications")}
    finally:
        conn.close()


@pytest.fixture
def holder() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes that keep an SQLite database open (a running server); killed afterwards."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.kill()
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def hold_open(db: Path, started: list[subprocess.Popen[bytes]]) -> None:
    code = ("import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1]); c.execute('PRAGMA journal_mode=WAL'); "
            "c.execute('SELECT count(*) FROM sqlite_master').fetchall(); print('open', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(db)], stdout=subprocess.PIPE)
    started.append(proc)
    assert proc.stdout is not None and proc.stdout.readline() == b"open\n"


async def test_imported_owncast_serves_as_before(go: OwncastV02, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "ours"
    assert await run_cli("import-owncast", str(go.root), "--data-dir", str(data)) == 0
    report = capsys.readouterr().out
    assert f"Imported from {go.db}" in report
    assert "chat users: 4 imported" in report and "chat messages: 4 imported" in report
    assert "webhooks: 2 imported" in report and "Fediverse followers: 2 imported" in report
    # the state from before the import is kept in a file of its own (the hourly backup cannot overwrite it)
    [backup] = (data / "backup").glob("before-owncast-import-*.db")
    assert f"Backup of the database before the import: {backup}" in report
    with closing(sqlite3.connect(f"file:{backup}?mode=ro", uri=True)) as before:
        tables = {row[0] for row in before.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        imported_name = before.execute("SELECT count(*) FROM config WHERE value LIKE '%Radio%'").fetchone()[0]
        users = before.execute("SELECT count(*) FROM users").fetchone()[0]
    assert {"config", "users"} <= tables and imported_name == 0 and users == 0

    async with running_server(data) as running:
        client, port = running.client, running.server.web_port
        config = (await client.get("/api/config")).json()
        assert config["name"] == "Ünïcode Radio 🎙️"
        assert config["summary"] == "Live coding and music, every Friday."
        assert config["tags"] == ["music", "coding", "chill"]
        assert {h["url"] for h in config["socialHandles"]} == {"https://social.example/@radio",
                                                               "https://github.com/radio"}
        assert (await client.get("/logo")).content == PNG
        emoji = (await client.get("/api/emoji")).json()
        assert [e["name"] for e in emoji] == ["party"]
        assert (await client.get(emoji[0]["url"])).content == GIF

        # the streamer's Owncast admin password works; ours (abc123) does not
        admin = httpx.BasicAuth("admin", ADMIN_PASSWORD)
        assert (await client.get("/api/admin/serverconfig", auth=("admin", "abc123"))).status_code == 401
        server_config = (await client.get("/api/admin/serverconfig", auth=admin)).json()
        assert {k["key"] for k in server_config["streamKeys"]} == {"imported-key-123", "second-key"}
        assert server_config["yp"]["enabled"] is True

        # a viewer's browser token: the same chat user, name and colour
        async with connect(f"ws://127.0.0.1:{port}/ws?accessToken=tok-bob") as ws:
            info = json.loads(await ws.recv())
            assert info["type"] == "CONNECTED_USER_INFO"
            assert info["user"]["id"] == "u-bob" and info["user"]["displayName"] == "Bob 🎸"
            assert info["user"]["displayColor"] == 7 and "MODERATOR" in info["user"]["scopes"]

        history = (await client.get("/api/chat?accessToken=tok-alice-1")).json()
        assert [m["id"] for m in history] == ["m-1", "m-2", "m-3", "m-4"]
        assert history[0]["user"]["displayName"] == "alice"
        moderation = (await client.get("/api/admin/chat/messages", auth=admin)).json()
        assert {m["id"] for m in moderation} == {"m-1", "m-2", "m-3", "m-4"}

        hooks = (await client.get("/api/admin/webhooks", auth=admin)).json()
        assert sorted((h["url"], ",".join(h["events"])) for h in hooks) == sorted(go.webhooks)
        followers = (await client.get("/api/admin/followers", auth=admin)).json()
        assert [f["link"] for f in followers["results"]] == ["https://social.example/users/fan1"]
        pending = (await client.get("/api/admin/followers/pending", auth=admin)).json()
        assert [f["link"] for f in pending] == ["https://other.example/@fan2"]

        # an integration's token (an Owncast API user) still works
        tokens = (await client.get("/api/admin/accesstokens", auth=admin)).json()
        assert [t["accessToken"] for t in tokens] == ["tok-bot"]
        sent = await client.post("/api/integrations/chat/system", json={"body": "still here"},
                                 headers={"Authorization": "Bearer tok-bot"})
        assert sent.status_code == 200, sent.text
    assert counts(data / "owncast.db")["notifications"] == 1  # the browser push subscription (not the SMS one)


async def test_a_second_import_changes_nothing(go: OwncastV02, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "ours"
    assert await run_cli("import-owncast", str(go.db), "--data-dir", str(data)) == 0
    before = counts(data / "owncast.db")
    conn = sqlite3.connect(data / "owncast.db")
    config_before = dict(conn.execute("SELECT key, value FROM config").fetchall())
    conn.close()
    capsys.readouterr()
    assert await run_cli("import-owncast", str(go.root / "data"), "--data-dir", str(data)) == 0
    report = capsys.readouterr().out
    assert counts(data / "owncast.db") == before
    conn = sqlite3.connect(data / "owncast.db")
    assert dict(conn.execute("SELECT key, value FROM config").fetchall()) == config_before
    conn.close()
    assert "settings: 0 imported" in report and "chat messages: 0 imported, 4 already there" in report


@pytest.mark.parametrize("content", [b"", b"just some text\n" * 50, b"SQLite format 3\x00" + b"\xff" * 200])
async def test_a_garbage_file_is_refused_with_exit_code_2(tmp_path: Path, content: bytes,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    garbage = tmp_path / "owncast.db"
    garbage.write_bytes(content)
    data = tmp_path / "ours"
    assert await run_cli("import-owncast", str(garbage), "--data-dir", str(data)) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("owncast import-owncast: ") and "\n" not in err and "Traceback" not in err
    assert not data.exists()  # nothing of ours was created


async def test_a_missing_directory_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_cli("import-owncast", str(tmp_path / "nope"), "--data-dir", str(tmp_path / "d")) == 2
    assert "does not exist" in capsys.readouterr().err


async def test_refused_while_our_server_or_owncast_runs(go: OwncastV02, tmp_path: Path,
                                                        holder: list[subprocess.Popen[bytes]],
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "ours"
    assert await run_cli("import-owncast", str(go.root), "--data-dir", str(data)) == 0
    capsys.readouterr()
    hold_open(data / "owncast.db", holder)  # as `owncast serve` does
    assert await run_cli("import-owncast", str(go.root), "--data-dir", str(data)) == 2
    assert "in use by a running owncast-py server" in capsys.readouterr().err
    stop(holder.pop())

    hold_open(go.db, holder)  # Owncast itself still running
    assert await run_cli("import-owncast", str(go.root), "--data-dir", str(tmp_path / "other")) == 2
    assert "Owncast is still running" in capsys.readouterr().err


def test_the_command_prints_the_report_and_logs_only_problems(go: OwncastV02, tmp_path: Path) -> None:
    """As a streamer runs it: the report on stdout; stderr quiet (no migration or per-step lines)
    unless --log-level asks for them."""
    command = [sys.executable, "-m", "owncast_runners.cli", "import-owncast", str(go.root)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OWNCAST_")}
    done = subprocess.run([*command, "--data-dir", str(tmp_path / "a")], capture_output=True, text=True,
                          env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "chat users: 4 imported" in done.stdout and done.stderr == ""
    verbose = subprocess.run([*command, "--data-dir", str(tmp_path / "b"), "--log-level", "INFO"],
                             capture_output=True, text=True, env=env, timeout=120, check=False)
    assert verbose.returncode == 0
    assert "database migration 1" in verbose.stderr and "owncast.import: chat users: 4 imported" in verbose.stderr
