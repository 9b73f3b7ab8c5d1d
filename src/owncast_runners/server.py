"""Running the whole server: database, RTMP ingest, web app and background jobs.

``OwncastServer`` is the embedding entry point::

    server = OwncastServer(Settings(data_dir=Path("data"), web_port=0, rtmp_port=0))
    await server.start()
    ...  # server.web_port / server.rtmp_port hold the bound ports
    await server.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from hypercorn.config import Config as HypercornConfig

from owncast_core.domain.config import Keys
from owncast_core.errors import OwncastError
from owncast_core.services.config import ConfigService
from owncast_runners.container import Container
from owncast_runners.settings import Settings
from owncast_runners.web import front_server
from owncast_runners.web.chat_ws import configure_hypercorn, raise_open_file_limit

log = logging.getLogger("owncast")

CLEANUP_INTERVAL_SECONDS = 60.0
VIEWER_PRUNE_SECONDS = 5.0
CHAT_PRUNE_SECONDS = 300.0
PEAKS_SAVE_SECONDS = 60.0
VIEWER_SAMPLE_SECONDS = 120.0
HARDWARE_SAMPLE_SECONDS = 60.0
PLAYBACK_COLLECT_SECONDS = 60.0
RECORDING_SAVE_WAIT_SECONDS = 15.0  # at shutdown; a recording not saved (uploaded) by then is at the next start


class OwncastServer:
    """Starts and stops every part in order; stopping ends the broadcast and its transcoder,
    waits for background work and closes the database."""

    def __init__(self, settings: Settings, container: Container | None = None) -> None:
        self.settings = settings
        self.container = container or Container(settings=settings)
        self._tasks: list[asyncio.Task[None]] = []
        self._web_shutdown = asyncio.Event()
        self._web_task: asyncio.Task[None] | None = None
        self._sockets: list[socket.socket] = []
        self.web_port = settings.web_port
        self.rtmp_port = settings.rtmp_port

    async def start(self) -> None:
        c = self.container
        for path in (self.settings.data_dir, self.settings.hls_dir, self.settings.public_dir):
            path.mkdir(parents=True, exist_ok=True)
        logging.getLogger().addHandler(c.log_history())  # /api/admin/logs
        database = c.database()
        await database.open()
        config = c.config()
        await config.load()
        self._listen_where_configured(config)
        if self.settings.admin_password:
            await config.set_admin_password(self.settings.admin_password)
            log.info("admin password set from the command line")
        bus = c.bus()
        bus.subscribe(c.viewers().on_event)
        c.recordings().start()  # finishes recordings a crash interrupted, in the background
        c.chat().start()
        raise_open_file_limit()  # chat holds a socket per client (Owncast does the same)
        await self._start_admin()
        await self._start_notifications()
        await self._start_federation()

        self._sockets = bind_sockets(self.settings.web_host, self.settings.web_port)
        self.web_port = self._sockets[0].getsockname()[1]
        hyper = HypercornConfig()
        hyper.accesslog = None
        hyper.errorlog = logging.getLogger("hypercorn.error")
        hyper.graceful_timeout = 2.0
        hyper.keep_alive_timeout = 75.0
        configure_hypercorn(hyper)  # chat websocket pings and read deadline
        app = c.web_app()
        self._web_task = asyncio.create_task(  # /hls/* answered by the front, the rest by Hypercorn
            front_server.serve(app, hyper, self._sockets, stream=c.stream(), viewers=c.viewers(),
                               shutdown_trigger=self._web_shutdown.wait),
            name="web",
        )

        rtmp = c.rtmp_server()
        await rtmp.start()
        self.rtmp_port = rtmp.port

        self._every(CLEANUP_INTERVAL_SECONDS, self._cleanup, "hls-cleanup")
        self._every(VIEWER_PRUNE_SECONDS, self._prune_viewers, "viewer-prune")
        self._every(self.settings.backup_interval_seconds, self._backup, "db-backup")
        self._every(CHAT_PRUNE_SECONDS, self._prune_chat, "chat-prune")
        stats = c.stats()
        self._every(PEAKS_SAVE_SECONDS, stats.save_peaks_job, "peaks-save")
        self._every(VIEWER_SAMPLE_SECONDS, stats.sample_viewers_job, "viewers-sample")
        self._every(HARDWARE_SAMPLE_SECONDS, stats.sample_hardware_job, "hardware-sample")
        self._every(PLAYBACK_COLLECT_SECONDS, self._collect_playback, "playback-metrics")

        keys = ", ".join(k.key for k in config.stream_keys())
        log.info("web server listening on %s port %d", " and ".join(self.settings.web_host), self.web_port)
        log.info(
            "point OBS at rtmp://<this host>:%d/live with stream key %s (or publish to "
            "rtmp://<this host>:%d/live/<key>)", self.rtmp_port, keys, self.rtmp_port,
        )

    async def stop(self) -> None:
        """Stop everything; safe to call once after ``start`` (also after a partial start)."""
        c = self.container
        log.info("shutting down")
        stream = c.stream()
        stream.shutting_down()
        with contextlib.suppress(Exception):
            await c.rtmp_server().stop()
        try:
            await stream.wait_offline(timeout=10)
        except TimeoutError:
            log.warning("the stream did not end within 10 s; stopping the transcoder")
            await stream.disconnect()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self._web_shutdown.set()
        if self._web_task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._web_task, timeout=5)
        for sock in self._sockets:
            with contextlib.suppress(OSError):  # normally already closed by the web task
                sock.close()
        with contextlib.suppress(Exception):
            await stream.storage.close()
        try:
            await c.recordings().close(timeout=RECORDING_SAVE_WAIT_SECONDS)
        except Exception:
            log.exception("could not finish saving the recording")
        with contextlib.suppress(Exception):
            await c.recordings_scheduler().close()
        try:
            await c.chat().close()  # persist every chat message clients saw
        except Exception:
            log.exception("could not save pending chat messages")
        await self._stop_notifications()
        await self._stop_admin()
        database = c.database()
        with contextlib.suppress(Exception):
            await database.backup()
        await database.close()
        log.info("stopped")

    async def run(self, stop: asyncio.Event) -> None:
        """Start, wait for ``stop`` to be set, stop."""
        try:
            await self.start()
        except BaseException:
            # a step after the web server came up failed (the RTMP port is taken, say): stop it
            # too, or the process would serve the page with no ingest and never exit
            if self._web_task is not None:
                await self.stop()
            raise
        try:
            await stop.wait()
        finally:
            await self.stop()

    # background jobs ------------------------------------------------------------------------
    def _every(self, seconds: float, job: Callable[[], Awaitable[None]], name: str) -> None:
        async def loop() -> None:
            while True:
                await asyncio.sleep(seconds)
                try:
                    await job()
                except OwncastError as exc:  # expected trouble (S3 down, disk full): one clear line
                    log.warning("background job %s failed: %s", name, exc)
                except Exception:
                    log.exception("background job %s failed", name)

        self._tasks.append(asyncio.create_task(loop(), name=name))

    async def _cleanup(self) -> None:
        stream = self.container.stream()
        if stream.status().connected:
            await stream.storage.cleanup()

    async def _prune_viewers(self) -> None:
        self.container.viewers().prune()

    def _listen_where_configured(self, config: ConfigService) -> None:
        """Ports and listen address not given as flags/environment come from the runtime config
        the admin set (``webserverport``, ``webserverip``, ``rtmpserverport``), as in Owncast."""
        names = self.settings.listen_from_config
        values: dict[str, Any] = {}
        if "web_port" in names:
            values["web_port"] = config.number(Keys.WEB_PORT) or self.settings.web_port
        if "rtmp_port" in names:
            values["rtmp_port"] = config.number(Keys.RTMP_PORT) or self.settings.rtmp_port
        address = config.string(Keys.WEB_IP)
        if "web_host" in names and address and address not in ("0.0.0.0", "::"):
            values["web_host"] = (address,)
        if values:
            self.settings = replace(self.settings, **values)
            self.container.settings.override(self.settings)
            self.web_port, self.rtmp_port = self.settings.web_port, self.settings.rtmp_port

    async def _start_admin(self) -> None:
        """Webhooks, GeoIP and statistics (issue 4)."""
        c = self.container
        await c.stats().restore_peaks()
        geoip = c.geoip()
        await geoip.open()
        c.chat().geo_lookup = geoip.lookup
        webhooks = c.webhooks()
        await webhooks.start()
        c.bus().subscribe(webhooks.on_event)
        await c.stats().sample_hardware_job()  # a first point (CPU needs a baseline)

    async def _stop_admin(self) -> None:
        c = self.container
        for step in (c.webhooks().stop, c.webhook_sender().aclose, c.stats().save_peaks_job, c.geoip().close):
            try:
                await step()
            except Exception:
                log.exception("shutdown step %s failed", getattr(step, "__qualname__", step))
        logging.getLogger().removeHandler(c.log_history())

    async def _start_notifications(self) -> None:
        """Go-live notifications (VAPID keys on first run) and directory pings (reference §7)."""
        c = self.container
        notifications = c.notifications()
        try:
            await notifications.start()
        except Exception:  # browser push is a side feature: the server runs without it
            log.exception("could not set up browser notifications")
        c.bus().subscribe(notifications.on_event)
        c.bus().subscribe(c.directory().on_event)

    async def _stop_notifications(self) -> None:
        c = self.container
        with contextlib.suppress(Exception):
            await c.federation().close()
        c.notifications().close()
        c.directory().close()
        for step in (c.side_effect_scheduler().close, c.outbound_http().aclose):
            try:
                await step()
            except Exception:
                log.exception("shutdown step %s failed", getattr(step, "__qualname__", step))

    async def _start_federation(self) -> None:
        """The Fediverse account's key pair on the first start (reference §6)."""
        try:
            await self.container.federation().start()
        except Exception:  # federation is a side feature: the server runs without it
            log.exception("could not set up federation")
        self.container.federation().start_worker()
        self.container.bus().subscribe(self.container.federation().on_event)  # profile updates

    async def _collect_playback(self) -> None:
        self.container.stats().collect_playback_job()

    async def _prune_chat(self) -> None:
        await self.container.chat().prune_history()

    async def _backup(self) -> None:
        path = await self.container.database().backup()
        log.info("database backed up to %s", path)


def bind_sockets(hosts: tuple[str, ...], port: int) -> list[socket.socket]:
    """Listening TCP sockets on every host (IPv6 ones v6-only, so ``0.0.0.0`` and ``::`` coexist).

    With ``port`` 0 the first socket picks a free port and the others reuse it. A host whose
    address family is unavailable (no IPv6 on the machine) is skipped with a log line.
    """
    sockets: list[socket.socket] = []
    for host in hosts:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError as exc:
            log.warning("cannot listen on %s: %s", host, exc)
            continue
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            if sockets or family == socket.AF_INET6:
                log.warning("cannot listen on %s port %d: %s", host, port, exc)
                continue
            raise OSError(f"cannot listen on {host} port {port}: {exc.strerror or exc}") from exc
        sock.listen(1024)
        sock.setblocking(False)
        port = sock.getsockname()[1]
        sockets.append(sock)
    if not sockets:
        raise OSError(f"could not listen on any of {hosts} port {port}")
    return sockets
