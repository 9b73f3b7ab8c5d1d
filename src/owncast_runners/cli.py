"""The ``owncast`` command: ``owncast serve`` runs the web server and RTMP ingest;
``owncast import-owncast <dir>`` moves a Go Owncast v0.2 install's data into ours."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

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


IMPORT_FLAGS = ("data_dir", "database", "log_level")
"""The ``serve`` flags ``import-owncast`` takes too: where our data lives, and how much to log."""

EXIT_IMPORT_REFUSED = 2
"""Exit code of ``import-owncast`` when the source cannot be read or our server is running."""


def _add_flags(parser: argparse.ArgumentParser, names: Collection[str]) -> None:
    for name, (flag, text) in _FLAGS.items():
        if name in names:
            env = ENV_PREFIX + flag[2:].replace("-", "_").upper()
            parser.add_argument(flag, dest=name, default=None, help=f"{text} [env {env}]")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="owncast", description="Self-hosted live video and chat server.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser(
        "serve",
        help="run the server",
        description="Run the web server (page, API, HLS, chat) and the RTMP ingest. Every flag can also be "
        f"set by an environment variable {ENV_PREFIX}<NAME> (e.g. {ENV_PREFIX}WEB_PORT=8081); flags win.",
    )
    _add_flags(serve, _FLAGS)
    importer = sub.add_parser(
        "import-owncast",
        help="import the settings, chat and followers of a Go Owncast v0.2 server",
        description="Copy what a Go Owncast v0.2 server holds (settings, stream keys, admin password, logo, "
        "custom emoji, chat users and their access tokens, recent chat messages, IP bans, webhooks, Fediverse "
        "followers) into this server's database, which is backed up first. The Owncast database is only read. "
        "Stop this server first. Running it again changes nothing that was already imported.",
    )
    importer.add_argument("source", type=Path,
                          help="the Owncast server's working directory (holding data/owncast.db), its data "
                          "directory, or the owncast.db file")
    _add_flags(importer, IMPORT_FLAGS)
    return parser


def settings_from_args(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    base = settings_from_env(env)
    values: dict[str, object] = {}
    for name, (flag, _) in _FLAGS.items():
        raw = getattr(args, name, None)
        if raw is not None:
            values[name] = parse_setting(name, raw, variable=flag)
    unset = frozenset(name for name in LISTEN_SETTINGS
                      if name not in values and not env.get(ENV_PREFIX + flag_env(name)))
    return base.with_overrides(**values, listen_from_config=unset)


def flag_env_name(name: str) -> str:
    """The full environment variable of a flag (``log_level`` -> ``OWNCAST_LOG_LEVEL``)."""
    return ENV_PREFIX + flag_env(name)


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
    if args.command == "import-owncast" and args.log_level is None and not os.environ.get(flag_env_name("log_level")):
        level = logging.WARNING  # the printed report says what happened; --log-level INFO shows each step
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if level > logging.DEBUG:
        # httpx logs every request at INFO with its full URL (a Discord webhook's holds its token)
        logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.command == "import-owncast":
        return asyncio.run(_import_owncast(settings, args.source))
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


async def _import_owncast(settings: Settings, source: Path) -> int:
    """Run the import; print the report. Exit 0, or 2 with one line on stderr when the source is
    not a readable Owncast database or our server is running on the target database."""
    from owncast_core.errors import ImportSourceError, OwncastError
    from owncast_runners.container import Container

    log = logging.getLogger("owncast.import")
    container = Container(settings=settings)
    if container.database_in_use():
        print(f"owncast import-owncast: {settings.database_path} is in use by a running owncast-py server; "
              "stop it first", file=sys.stderr)
        return EXIT_IMPORT_REFUSED
    legacy = container.legacy_owncast_source(source)
    try:  # check the source before creating or touching anything of ours
        await legacy.open()
        await legacy.close()
    except ImportSourceError as exc:
        print(f"owncast import-owncast: {exc}", file=sys.stderr)
        return EXIT_IMPORT_REFUSED
    database = container.database()
    try:
        await database.open()
    except OwncastError as exc:
        print(f"owncast import-owncast: cannot open {settings.database_path}: {exc}", file=sys.stderr)
        return 1
    try:
        report = await container.owncast_import(source=container.legacy_owncast_source(source)).run()
    except ImportSourceError as exc:
        print(f"owncast import-owncast: {exc}", file=sys.stderr)
        return EXIT_IMPORT_REFUSED
    except OwncastError as exc:
        log.error("the import stopped: %s (the backup in %s is from before it)", exc, settings.backup_dir)
        return 1
    finally:
        await database.close()
    print("\n".join(report.lines()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
