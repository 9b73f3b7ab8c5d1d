"""The composition root (Owncast's AppController): the only module naming concrete adapters.

Everything the server needs is a provider here; embedders and tests override providers
(``container.transcoder.override(...)``) instead of patching modules.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC
from pathlib import Path

from dependency_injector import containers, providers

from owncast_adapters.activitypub.crypto import RsaFederationCrypto
from owncast_adapters.activitypub.http import HttpxFederationHttp
from owncast_adapters.auth.indieauth import HttpxIndieAuthClient
from owncast_adapters.auth.passwords import BcryptPasswordHasher
from owncast_adapters.bus.inprocess import InProcessEventBus
from owncast_adapters.directory.httpx_client import HttpxDirectoryClient
from owncast_adapters.geoip.maxmind import MaxMindGeoIPLookup
from owncast_adapters.host.encoders import PyAVEncoderProbe
from owncast_adapters.host.hardware import PsutilHardwareMonitor
from owncast_adapters.markdown.page import MarkdownItPageRenderer
from owncast_adapters.metrics.prometheus import PrometheusMetricsExporter
from owncast_adapters.notify.browser_push import WebPushBrowserNotifier
from owncast_adapters.notify.discord import HttpxDiscordNotifier
from owncast_adapters.outbound import OutboundHttp
from owncast_adapters.owncast_import.source import SqliteOwncastSource
from owncast_adapters.render.chat_markdown import MarkdownChatRenderer
from owncast_adapters.render.wordlist import WordListContentFilter
from owncast_adapters.sqlite.activitypub_repository import SqliteActivityPubRepository
from owncast_adapters.sqlite.admin_account_repository import SqliteAdminAccountRepository
from owncast_adapters.sqlite.chat_repository import SqliteChatRepository
from owncast_adapters.sqlite.config_repository import SqliteConfigRepository
from owncast_adapters.sqlite.database import Database, in_use_by_another_process
from owncast_adapters.sqlite.delivery_queue import SqliteDeliveryQueue
from owncast_adapters.sqlite.domain_health import SqliteDomainHealthRepository
from owncast_adapters.sqlite.followers_repository import SqliteFollowersRepository
from owncast_adapters.sqlite.identity_link_repository import SqliteIdentityLinkRepository
from owncast_adapters.sqlite.notifications_repository import SqliteNotificationsRepository
from owncast_adapters.sqlite.stats_repository import SqliteStatsRepository
from owncast_adapters.sqlite.user_repository import SqliteUserRepository
from owncast_adapters.sqlite.webhook_repository import SqliteWebhookRepository
from owncast_adapters.storage.emoji import LocalEmojiStore
from owncast_adapters.storage.local import LocalVideoStorage
from owncast_adapters.storage.logo import LocalLogoStore
from owncast_adapters.storage.recording_archive import LocalRecordingArchive
from owncast_adapters.storage.recordings import LocalRecordingStore
from owncast_adapters.storage.s3 import S3VideoStorage
from owncast_adapters.storage.s3_bucket import S3Settings
from owncast_adapters.storage.s3_recordings import S3RecordingArchive
from owncast_adapters.system import RandomIds, SystemClock
from owncast_adapters.timers import AsyncioScheduler
from owncast_adapters.video.rtmp import RtmpServer
from owncast_adapters.video.transcoder import PyAVTranscoder
from owncast_adapters.webhooks.httpx_sender import HttpxWebhookSender
from owncast_core import __version__
from owncast_core.domain.config import Keys
from owncast_core.domain.stats import GAUGES
from owncast_core.domain.stream import preview_path_for
from owncast_core.ports.clock import Clock
from owncast_core.services.admin_accounts import AdminAccounts
from owncast_core.services.admin_audit import AdminAuditTrail
from owncast_core.services.admin_config import AdminConfigService
from owncast_core.services.chat import ChatService
from owncast_core.services.chat_auth import ChatAuthService
from owncast_core.services.config import ConfigService
from owncast_core.services.config_views import ConfigViews
from owncast_core.services.directory import DirectoryService
from owncast_core.services.federation import FederationService
from owncast_core.services.indieauth_provider import IndieAuthProviderService
from owncast_core.services.log_history import LogHistoryBuffer
from owncast_core.services.login_throttle import LoginThrottle
from owncast_core.services.notifications import NotificationService
from owncast_core.services.owncast_import import OwncastImportService
from owncast_core.services.recordings import RecordingService
from owncast_core.services.stats import StatsService
from owncast_core.services.status import StatusService
from owncast_core.services.stream import StreamService
from owncast_core.services.users import UserService
from owncast_core.services.viewers import ViewerService
from owncast_core.services.webfinger import WebFingerLookup
from owncast_core.services.webhooks import WebhookService
from owncast_runners.settings import Settings
from owncast_runners.web.admin_api import AdminApi
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


def metric_labels(config: ConfigService) -> dict[str, str]:
    """Prometheus constant labels, as Owncast: the version and the server URL's host."""
    return {"version": __version__, "host": config.string(Keys.SERVER_URL) or "unknown"}


def chat_gauges(chat: ChatService) -> Callable[[], dict[str, float]]:
    return lambda: {"owncast_instance_active_chat_client_count": float(chat.connection_count())}


def chat_totals(chat: ChatService) -> Callable[[], Awaitable[dict[str, float]]]:
    async def totals() -> dict[str, float]:
        users, messages = await chat.stored_counts()
        return {"owncast_instance_total_chat_users": float(users),
                "owncast_instance_current_chat_message_count": float(messages)}

    return totals


def playlist_segments(config: ConfigService) -> int:
    return config.latency().playlist_segments


def stream_connected(stream: StreamService) -> Callable[[], bool]:
    """A publisher is still connected (the go-live notification timer asks when it fires)."""
    return lambda: stream.status().connected


def go_live_snapshot(settings: Settings) -> Callable[[], str | None]:
    """Which image the go-live post attaches: ``preview.gif`` if there is one, else
    ``thumbnail.jpg``, else none (Owncast ``SendLive``)."""
    thumbnail = settings.thumbnail_path
    preview = Path(preview_path_for(str(thumbnail)))
    return lambda: "preview.gif" if preview.is_file() else "thumbnail.jpg" if thumbnail.is_file() else None


def database_backup(database: Database, clock: Clock) -> Callable[[], Awaitable[str | None]]:
    """The import's "back up first" step: an online backup to a file of its own,
    ``before-owncast-import-<UTC time>.db`` beside the hourly one (which would overwrite it
    within the hour), returned as text (``None`` never: the database is open)."""

    async def backup() -> str | None:
        stamp = clock.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        return str(await database.backup(f"before-owncast-import-{stamp}.db"))

    return backup


def stream_online(stream: StreamService) -> Callable[[], bool]:
    """Viewers can play the stream (directory pings are sent only then)."""
    return lambda: stream.status().online


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

    # who may use the admin API: the built-in admin and named accounts; throttle; audit trail
    admin_accounts = providers.Singleton(
        AdminAccounts,
        repository=providers.Singleton(SqliteAdminAccountRepository, database=database),
        config=config,
        hasher=password_hasher,
        clock=clock,
    )
    admin_audit = providers.Singleton(AdminAuditTrail, clock=clock)
    login_throttle = providers.Singleton(LoginThrottle, clock=clock)

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
    # recordings of broadcasts (ours: Owncast has none), off until the admin enables them
    recording_store = providers.Singleton(LocalRecordingStore, root=settings.provided.recordings_dir)
    # where finished recordings go: nowhere else with local video storage, the bucket with S3
    recording_archive = providers.Selector(
        providers.Callable(storage_kind, config),
        local=providers.Singleton(LocalRecordingArchive),
        s3=providers.Factory(S3RecordingArchive, settings=providers.Callable(s3_settings, config)),
    )
    recordings_scheduler = providers.Singleton(AsyncioScheduler)  # the hourly retention/upload pass
    recordings = providers.Singleton(
        RecordingService, store=recording_store, config=config, clock=clock, ids=ids,
        scheduler=recordings_scheduler, archive=recording_archive.provider,
    )
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
        recorder=recordings,
    )
    rtmp_server = providers.Singleton(
        RtmpServer,
        handler=stream,
        host=settings.provided.rtmp_host,
        port=settings.provided.rtmp_port,
    )
    user_repository = providers.Singleton(SqliteUserRepository, database=database)
    chat_repository = providers.Singleton(SqliteChatRepository, database=database)
    users = providers.Singleton(
        UserService, repository=user_repository, config=config, clock=clock, ids=ids, secrets_source=ids
    )
    chat = providers.Singleton(
        ChatService,
        config=config,
        users=users,
        messages=chat_repository,
        renderer=providers.Singleton(MarkdownChatRenderer),
        content_filter=providers.Singleton(WordListContentFilter.default),
        bus=bus,
        clock=clock,
        ids=ids,
        scheduler=providers.Singleton(AsyncioScheduler),
    )
    emoji_store = providers.Singleton(LocalEmojiStore, root=settings.provided.emoji_dir)

    # admin and configuration API, webhooks, statistics, GeoIP
    status = providers.Singleton(StatusService, stream=stream, viewers=viewers, config=config, clock=clock)
    geoip = providers.Singleton(MaxMindGeoIPLookup, path=settings.provided.geoip_path)
    webhook_sender = providers.Singleton(HttpxWebhookSender, allow_private=settings.provided.webhooks_allow_private)
    webhook_repository = providers.Singleton(SqliteWebhookRepository, database=database)
    webhooks = providers.Singleton(
        WebhookService,
        repository=webhook_repository,
        sender=webhook_sender,
        config=config,
        clock=clock,
        ids=ids,
        secrets=ids,
        status=status.provided.status,
        allow_private_targets=settings.provided.webhooks_allow_private,
    )
    encoders = providers.Singleton(PyAVEncoderProbe)
    logo_store = providers.Singleton(LocalLogoStore, data_dir=settings.provided.data_dir)
    admin_config = providers.Singleton(
        AdminConfigService,
        config=config,
        bus=bus,
        clock=clock,
        ids=ids,
        logo_store=logo_store,
        encoders=encoders,
        chat=chat,
    )
    outbound_http = providers.Singleton(OutboundHttp, allow_private=settings.provided.outbound_allow_private)
    # ActivityPub (reference §6)
    page_renderer = providers.Singleton(MarkdownItPageRenderer)
    followers_repository = providers.Singleton(SqliteFollowersRepository, database=database)
    activitypub_repository = providers.Singleton(SqliteActivityPubRepository, database=database)
    federation_http = providers.Singleton(HttpxFederationHttp, http=outbound_http)
    # one account lookup for remote follow and the chat's Fediverse sign-in
    webfinger = providers.Singleton(WebFingerLookup, http=federation_http)
    federation = providers.Singleton(
        FederationService,
        config=config,
        followers=followers_repository,
        activities=activitypub_repository,
        deliveries=providers.Singleton(SqliteDeliveryQueue, database=database),
        domain_health=providers.Singleton(SqliteDomainHealthRepository, database=database),
        crypto=providers.Singleton(RsaFederationCrypto),
        http=federation_http,
        webfinger=webfinger,
        clock=clock,
        ids=ids,
        renderer=page_renderer,
        snapshot=providers.Callable(go_live_snapshot, settings),
        chat=chat,
        allow_insecure=settings.provided.outbound_allow_private,  # http:// targets only with private ones
    )
    # chat-user sign-in (reference §6.3)
    chat_auth = providers.Singleton(
        ChatAuthService,
        config=config,
        users=user_repository,
        links=providers.Singleton(SqliteIdentityLinkRepository, database=database),
        indieauth=providers.Singleton(HttpxIndieAuthClient, http=outbound_http),
        federation=federation,
        webfinger=webfinger,
        chat=chat,
        clock=clock,
        secrets_source=ids,
    )
    # the streamer's IndieAuth identity: this server as authorization endpoint (reference §6.3)
    indieauth_provider = providers.Singleton(
        IndieAuthProviderService, config=config, clock=clock, secrets_source=ids,
    )
    config_views = providers.Singleton(
        ConfigViews, config=config, renderer=page_renderer, encoders=encoders,
        status=status, follower_count=federation.provided.follower_count,
    )
    stats = providers.Singleton(
        StatsService,
        repository=providers.Singleton(SqliteStatsRepository, database=database),
        viewers=viewers,
        config=config,
        stream=stream,
        hardware=providers.Singleton(PsutilHardwareMonitor, disk_path=settings.provided.data_dir),
        metrics=providers.Singleton(PrometheusMetricsExporter, gauges=GAUGES,
                                    labels=providers.Callable(metric_labels, config)),
        geoip=geoip,
        clock=clock,
        chat_counts=providers.Callable(chat_gauges, chat),
        chat_totals=providers.Callable(chat_totals, chat),
    )
    log_history = providers.Singleton(LogHistoryBuffer)

    # go-live notifications and the directory (reference §7)
    side_effect_scheduler = providers.Singleton(AsyncioScheduler)
    notifications_repository = providers.Singleton(SqliteNotificationsRepository, database=database)
    notifications = providers.Singleton(
        NotificationService,
        config=config,
        repository=notifications_repository,
        discord=providers.Singleton(HttpxDiscordNotifier, http=outbound_http),
        browser_push=providers.Singleton(WebPushBrowserNotifier, http=outbound_http),
        scheduler=side_effect_scheduler,
        clock=clock,
        is_live=providers.Callable(stream_connected, stream),
        fediverse=federation.provided.send_live,
        allow_private_endpoints=settings.provided.outbound_allow_private,
    )
    directory = providers.Singleton(
        DirectoryService,
        config=config,
        client=providers.Singleton(HttpxDirectoryClient, http=outbound_http),
        scheduler=side_effect_scheduler,
        is_online=providers.Callable(stream_online, stream),
        directory_url=settings.provided.directory_url,
    )
    admin_api = providers.Singleton(
        AdminApi, status=status, stats=stats, webhooks=webhooks, admin=admin_config, views=config_views,
        logs=log_history, recordings=recordings,
    )
    web_app = providers.Singleton(
        create_app,
        stream=stream,
        config=config,
        viewers=viewers,
        clock=clock,
        data_dir=settings.provided.data_dir,
        thumbnail_path=settings.provided.thumbnail_path,
        chat=chat,
        emoji_store=emoji_store,
        admin_api=admin_api,
        notification_service=notifications,
        federation_service=federation,
        chat_auth_service=chat_auth,
        indieauth_provider_service=indieauth_provider,
        accounts=admin_accounts,
        audit=admin_audit,
        login_throttle=login_throttle,
    )

    # "Move from Owncast": import a Go Owncast v0.2 data directory (``owncast import-owncast``)
    database_in_use = providers.Callable(in_use_by_another_process, settings.provided.database_path)
    legacy_owncast_source = providers.Factory(SqliteOwncastSource)
    owncast_import = providers.Factory(
        OwncastImportService,
        source=legacy_owncast_source,
        config=config_repository,
        users=user_repository,
        messages=chat_repository,
        webhooks=webhook_repository,
        followers=followers_repository,
        activities=activitypub_repository,
        notifications=notifications_repository,
        logo_store=logo_store,
        emoji_store=emoji_store,
        hasher=password_hasher,
        clock=clock,
        secrets=ids,
        backup=providers.Callable(database_backup, database, clock),
    )
