"""Bootstrap settings: defaults, OWNCAST_* environment, CLI flags (flags win)."""

from __future__ import annotations

from pathlib import Path

import pytest

from owncast_runners.cli import build_parser, settings_from_args
from owncast_runners.settings import Settings, settings_from_env


def test_defaults_match_owncast() -> None:
    s = Settings()
    assert (s.web_port, s.rtmp_port) == (8080, 1935)
    assert s.web_host == ("0.0.0.0", "::")
    assert s.database_path == Path("data/owncast.db")
    assert s.hls_dir == Path("data/hls") and s.backup_dir == Path("data/backup")
    assert s.stream_key is None


def test_environment_overrides_defaults() -> None:
    s = settings_from_env({"OWNCAST_WEB_PORT": "9000", "OWNCAST_DATA_DIR": "/srv/oc",
                           "OWNCAST_STREAM_KEY": "tmpkey", "OWNCAST_WEB_HOST": "127.0.0.1"})
    assert s.web_port == 9000 and s.data_dir == Path("/srv/oc") and s.stream_key == "tmpkey"
    assert s.database_path == Path("/srv/oc/owncast.db") and s.web_host == ("127.0.0.1",)


def test_bad_port_names_the_variable() -> None:
    with pytest.raises(ValueError, match="OWNCAST_RTMP_PORT"):
        settings_from_env({"OWNCAST_RTMP_PORT": "abc"})
    with pytest.raises(ValueError, match="65535"):
        settings_from_env({"OWNCAST_WEB_PORT": "70000"})


def test_flags_win_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OWNCAST_WEB_PORT", "9000")
    monkeypatch.setenv("OWNCAST_RTMP_PORT", "2000")
    args = build_parser().parse_args(["serve", "--web-port", "9100", "--admin-password", "pw"])
    s = settings_from_args(args)
    assert (s.web_port, s.rtmp_port, s.admin_password) == (9100, 2000, "pw")


def test_help_documents_every_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--help"])
    out = capsys.readouterr().out
    for flag in ("--data-dir", "--web-port", "--rtmp-port", "--stream-key", "--admin-password", "OWNCAST_"):
        assert flag in out
    # each flag's own text gives its default; argparse's "(default: None)" contradicted it
    assert "(default: None)" not in out


def test_listen_settings_not_given_come_from_runtime_config() -> None:
    args = build_parser().parse_args(["serve", "--web-port", "9100"])
    s = settings_from_args(args, environ={"OWNCAST_RTMP_PORT": "2000"})
    assert s.listen_from_config == frozenset({"web_host"})
    s = settings_from_args(build_parser().parse_args(["serve"]), environ={})
    assert s.listen_from_config == frozenset({"web_port", "web_host", "rtmp_port"})
    assert settings_from_env({}).listen_from_config == frozenset()  # embedders choose explicitly
    s = settings_from_args(build_parser().parse_args(["serve", "--webhooks-allow-private", "yes"]), environ={})
    assert s.webhooks_allow_private is True
    with pytest.raises(ValueError, match="true or false"):
        settings_from_env({"OWNCAST_WEBHOOKS_ALLOW_PRIVATE": "maybe"})


def test_outbound_and_directory_settings() -> None:
    s = settings_from_args(build_parser().parse_args(
        ["serve", "--outbound-allow-private", "true", "--directory-url", "http://127.0.0.1:9"]), environ={})
    assert s.outbound_allow_private is True and s.directory_url == "http://127.0.0.1:9"
    default = settings_from_args(build_parser().parse_args(["serve"]), environ={})
    assert default.outbound_allow_private is False and default.directory_url == "https://directory.owncast.online"
    assert settings_from_env({"OWNCAST_OUTBOUND_ALLOW_PRIVATE": "1"}).outbound_allow_private is True
    with pytest.raises(ValueError, match="OWNCAST_OUTBOUND_ALLOW_PRIVATE"):
        settings_from_env({"OWNCAST_OUTBOUND_ALLOW_PRIVATE": "maybe"})
