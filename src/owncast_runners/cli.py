"""The ``owncast`` command: ``owncast serve`` runs the web server and RTMP ingest."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence

from owncast_runners.settings import ENV_PREFIX, LISTEN_SETTINGS, Settings, parse_setting, settings_from_env

_FLAGS = {
    "data_dir": ("--data-dir", "directory for the database, HLS output, uploads and backups (default ./data)"),
    "web_port": ("--web-port", "HTTP port for the web page, API and HLS (default 8080)"),
    "web_host": ("--web-host", "comma-separated addresses to listen on for HTTP (default 0.0.0.0,::)"),
    "rtmp_port": ("--rtmp-port", "RTMP ingest port (default 1935)"),
    "rtmp_host": ("--rtmp-host", "RTMP ingest address (default 0.0.0.0)"),
    "database": ("--database", "SQLite database file (default <data-dir>/owncast.db)"),
    "stream_key": ("--stream-key", "temporary stream key for this run only; not saved, replaces the configured keys"),
    "admin_password": ("--admin-password", "set (and save) the admin password"),
    "log_level": ("--log-level", "DEBUG, INFO, WARNING or ERROR (default INFO)"),
    "webhooks_allow_private": ("--webhooks-allow-private",
                               "true to allow webhook URLs on loopback/private addresses (default false)"),
    "outbound_allow_private": ("--outbound-allow-private",
                               "true to allow Discord, browser push, directory and Fediverse requests to "
                               "loopback/private addresses, and Fediverse ones over plain http (default false)"),
    "directory_url": ("--directory-url", "the Owncast directory to list this server in while live, when enabled "
                      "(default https://directory.owncast.online)"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="owncast", description="Self-hosted live video and chat server.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser(
        "serve",
        help="run the server",
        description="Run the web server (page, API, HLS, chat) and the RTMP ingest. Every flag can also be "
        f"set by an environment variable {ENV_PREFIX}<NAME> (e.g. {ENV_PREFIX}WEB_PORT=8081); flags win.",
    )
    for name, (flag, text) in _FLAGS.items():
        env = ENV_PREFIX + flag[2:].replace("-", "_").upper()
        serve.add_argument(flag, dest=name, default=None, help=f"{text} [env {env}]")
    return parser


def settings_from_args(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    base = settings_from_env(env)
    values: dict[str, object] = {}
    for name, (flag, _) in _FLAGS.items():
        raw = getattr(args, name)
        if raw is not None:
            values[name] = parse_setting(name, raw, variable=flag)
    unset = frozenset(name for name in LISTEN_SETTINGS
                      if name not in values and not env.get(ENV_PREFIX + flag_env(name)))
    return base.with_overrides(**values, listen_from_config=unset)


def flag_env(name: str) -> str:
    """The environment variable suffix of a flag (``web_port`` -> ``WEB_PORT``)."""
    return _FLAGS[name][0][2:].replace("-", "_").upper()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = settings_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    level = getattr(logging, settings.log_level.upper(), logging.INFO)
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if level > logging.DEBUG:
        # httpx logs every request at INFO with its full URL (a Discord webhook's holds its token)
        logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        asyncio.run(_serve(settings))
    except OSError as exc:
        logging.getLogger("owncast").error("cannot start: %s", exc)
        return 1
    return 0


async def _serve(settings: Settings) -> None:
    from owncast_runners.server import OwncastServer  # heavy (PyAV, adapters): only when serving

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await OwncastServer(settings).run(stop)


if __name__ == "__main__":
    raise SystemExit(main())
