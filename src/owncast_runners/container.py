"""The composition root (Owncast's AppController): the only module naming concrete adapters.

Everything the server needs is a provider here; embedders and tests override providers
(``container.transcoder.override(...)``) instead of patching modules.
"""

from __future__ import annotations

from dependency_injector import containers, providers

from owncast_adapters.auth.passwords import BcryptPasswordHasher
from owncast_adapters.bus.inprocess import InProcessEventBus
from owncast_adapters.sqlite.config_repository import SqliteConfigRepository
from owncast_adapters.sqlite.database import Database
from owncast_adapters.storage.local import LocalVideoStorage
from owncast_adapters.storage.s3 import S3VideoStorage
from owncast_adapters.storage.s3_bucket import S3Settings
from owncast_adapters.system import RandomIds, SystemClock
from owncast_adapters.video.rtmp import RtmpServer
from owncast_adapters.video.transcoder import PyAVTranscoder
from owncast_core.domain.config import Keys
from owncast_core.services.config import ConfigService
from owncast_core.services.stream import StreamService
from owncast_core.services.viewers import ViewerService
from owncast_runners.settings import Settings
from owncast_runners.web.app import create_app


def storage_kind(config: ConfigService) -> str:
    """Which ``VideoStorage`` the next broadcast uses ("local" or "s3"), from runtime config."""
    s3 = config.get(Keys.S3)
    return "s3" if isinstance(s3, dict) and s3.get("enabled") else "local"


def s3_settings(config: ConfigService) -> S3Settings:
    """The bucket the next broadcast uploads to (``Keys.S3``; without its own ``servingEndpoint``
    the video serving endpoint applies). Raises ``StorageError`` without endpoint or bucket."""
    s3 = config.get(Keys.S3)
    return S3Settings.from_json(
        s3 if isinstance(s3, dict) else {},
        fallback_serving_endpoint=config.string(Keys.VIDEO_SERVING_ENDPOINT),
    )


def playlist_segments(config: ConfigService) -> int:
    return config.latency().playlist_segments


class Container(containers.DeclarativeContainer):
    """Wires settings, adapters and services. ``settings`` must be provided."""

    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(RandomIds)
    bus = providers.Singleton(InProcessEventBus)
    password_hasher = providers.Singleton(BcryptPasswordHasher)

    database = providers.Singleton(
        Database,
        path=settings.provided.database_path,
        backup_dir=settings.provided.backup_dir,
    )
    config_repository = providers.Singleton(SqliteConfigRepository, database=database)
    config = providers.Singleton(
        ConfigService,
        repository=config_repository,
        hasher=password_hasher,
        stream_key_override=settings.provided.stream_key,
    )

    local_storage = providers.Singleton(LocalVideoStorage, hls_dir=settings.provided.hls_dir)
    storage = providers.Selector(
        providers.Callable(storage_kind, config),
        local=local_storage,
        s3=providers.Factory(  # a fresh one per broadcast, from the config at its start
            S3VideoStorage,
            settings=providers.Callable(s3_settings, config),
            hls_dir=settings.provided.hls_dir,
            playlist_segments=providers.Callable(playlist_segments, config),
        ),
    )

    transcoder = providers.Singleton(PyAVTranscoder)
    viewers = providers.Singleton(ViewerService, clock=clock)
    stream = providers.Singleton(
        StreamService,
        config=config,
        transcoder=transcoder,
        storage_factory=storage.provider,
        bus=bus,
        clock=clock,
        ids=ids,
        hls_dir=providers.Callable(str, settings.provided.hls_dir),
        thumbnail_path=providers.Callable(str, settings.provided.thumbnail_path),
    )
    rtmp_server = providers.Singleton(
        RtmpServer,
        handler=stream,
        host=settings.provided.rtmp_host,
        port=settings.provided.rtmp_port,
    )
    web_app = providers.Singleton(
        create_app,
        stream=stream,
        config=config,
        viewers=viewers,
        clock=clock,
        data_dir=settings.provided.data_dir,
        thumbnail_path=settings.provided.thumbnail_path,
    )
