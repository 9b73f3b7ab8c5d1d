"""In-memory fakes of the core ports, for unit tests of services.

Every fake here passes the same contract suite (``owncast_core.testing.contracts``) as the real
adapter of its port; ``tests/contract/`` binds them.
"""

from __future__ import annotations

import asyncio
import base64
import builtins
import copy
import hashlib
import hmac
import html as _html
import json
import logging
import os
import re
import shutil
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from owncast_core.domain.activitypub import FederatedAction, Follower, FollowerState, OutboxItem
from owncast_core.domain.admin_accounts import AdminAccount, AdminRole
from owncast_core.domain.chat import ApiUser, ChatRecord, ChatUser, HistoryEntry, IPBan
from owncast_core.domain.chat_auth import IdentityLink, IndieAuthEndpoints
from owncast_core.domain.delivery import DomainHealth, QueuedDelivery
from owncast_core.domain.geo import LOCALHOST, GeoInfo, is_local_address, names_local_host, parse_address
from owncast_core.domain.notifications import (
    DirectoryPing,
    DirectoryReply,
    DiscordMessage,
    NotificationDestination,
    PushMessage,
    PushSubscription,
    VapidKeys,
    b64url_encode,
)
from owncast_core.domain.owncast_import import (
    Extract,
    LegacyAccessToken,
    LegacyConfigEntry,
    LegacyFile,
    LegacyWebhook,
)
from owncast_core.domain.recordings import (
    MediaInfo,
    Recording,
    archive_key_for,
    check_archive_key,
    check_recording_id,
    is_recording_id,
)
from owncast_core.domain.stats import GAUGES, HardwareSample, TimestampedValue
from owncast_core.domain.stream import TranscodeJob
from owncast_core.domain.webhooks import Webhook
from owncast_core.errors import (
    AuthenticationError,
    DeliveryFailed,
    DeliveryRefused,
    ImportSourceError,
    NotFoundError,
    StorageError,
    TranscoderGone,
    ValidationError,
)
from owncast_core.ports.activitypub import HttpReply, KeyPair
from owncast_core.ports.bus import EventHandler
from owncast_core.ports.emoji import Emoji, EmojiFile
from owncast_core.ports.repositories import JsonValue
from owncast_core.ports.video import HlsFile, SegmentInfo, TranscoderListener, VariantInfo
from owncast_core.services.log_history import LogHistoryBuffer

T = TypeVar("T")


class InMemoryConfigRepository:
    """``ConfigRepository`` kept in a dict (values deep-copied through JSON)."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}
        self._lock = asyncio.Lock()

    async def get(self, key: str) -> JsonValue:
        try:
            return json.loads(self._values[key])
        except KeyError:
            raise NotFoundError(f"no configuration value for {key!r}") from None

    async def set(self, key: str, value: JsonValue) -> None:
        await self.set_many({key: value})

    async def set_many(self, values: Mapping[str, JsonValue]) -> None:
        try:
            encoded = {k: json.dumps(v, allow_nan=False) for k, v in values.items()}
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"configuration values must be JSON: {exc}") from exc
        async with self._lock:
            self._values.update(encoded)

    async def delete(self, key: str) -> None:
        self._values.pop(key, None)

    async def all(self) -> dict[str, JsonValue]:
        return {k: json.loads(v) for k, v in self._values.items()}


class FakeClock:
    """A ``Clock`` that only moves when told (``advance``)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
        self._mono = 1000.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._mono += seconds


class SequentialIds:
    """An ``IdGenerator`` returning ``id1``, ``id2``, ... (and ``SecretGenerator`` ``tok1``...)."""

    def __init__(self, prefix: str = "id") -> None:
        self._prefix = prefix
        self._n = 0

    def new_id(self) -> str:
        self._n += 1
        return f"{self._prefix}{self._n}"

    def token(self, nbytes: int = 32) -> str:
        self._n += 1
        return f"tok{self._n}".ljust(nbytes, "x")


class PlainPasswordHasher:
    """A fast ``PasswordHasher`` for tests (salted SHA-256; never use in production)."""

    def hash(self, password: str) -> str:
        return "sha256$" + hashlib.sha256(b"salt:" + password.encode()).hexdigest()

    def verify(self, password: str, hashed: str) -> bool:
        return hmac.compare_digest(self.hash(password), hashed)


class InMemoryEventBus:
    """An ``EventBus`` delivering in-process, in subscription order; records what was published."""

    def __init__(self) -> None:
        self._handlers: list[EventHandler] = []
        self.published: list[object] = []
        self._log = logging.getLogger("owncast.bus")

    async def publish(self, event: object) -> None:
        self.published.append(event)
        for handler in list(self._handlers):
            try:
                await handler(event)
            except Exception:
                self._log.exception("event handler failed for %s", type(event).__name__)

    def subscribe(self, handler: EventHandler) -> Callable[[], None]:
        self._handlers.append(handler)

        def unsubscribe() -> None:
            if handler in self._handlers:
                self._handlers.remove(handler)

        return unsubscribe

    def of_type(self, kind: type) -> list[object]:
        return [copy.copy(e) for e in self.published if isinstance(e, kind)]


class InMemoryVideoStorage:
    """``VideoStorage`` holding published files in a dict; serves every HLS path it was given.

    Mirrors ``LocalVideoStorage`` semantics without a cache policy: a reported file is read once
    and kept until ``setup`` (which also empties ``root`` on disk, as a new broadcast does).
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.files: dict[str, HlsFile] = {}
        self.events: list[tuple[str, str]] = []
        self.closed = 0

    def _rel(self, path: str) -> str:
        return Path(path).resolve().relative_to(self.root.resolve()).as_posix()

    def _keep(self, path: str, kind: str) -> None:
        rel = self._rel(path)
        ctype = "application/x-mpegURL" if rel.endswith(".m3u8") else "video/mp2t"
        self.files[rel] = HlsFile(Path(path).read_bytes(), ctype)
        self.events.append((kind, rel))

    async def setup(self) -> None:
        self.files.clear()
        if self.root.exists():
            for child in self.root.iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        self.root.mkdir(parents=True, exist_ok=True)

    async def segment_written(self, segment: SegmentInfo) -> None:
        self._keep(segment.path, "segment")

    async def variant_playlist_written(self, variant: int, path: str) -> None:
        self._keep(path, "playlist")

    async def master_playlist_written(self, path: str) -> None:
        self._keep(path, "master")

    async def get(self, relative_path: str) -> HlsFile:
        if ".." in relative_path or not relative_path.endswith((".m3u8", ".ts")):
            raise NotFoundError(relative_path)
        try:
            return self.files[relative_path]
        except KeyError:
            raise NotFoundError(relative_path) from None

    async def stream_ended(self, variant_count: int) -> None:
        for index in range(variant_count):
            path = self.root / str(index) / "stream.m3u8"
            if not path.exists():
                continue
            text = path.read_bytes()
            if b"#EXT-X-ENDLIST" not in text:
                path.write_bytes(text.rstrip(b"\n") + b"\n#EXT-X-ENDLIST\n")
            self._keep(str(path), "playlist")

    async def cleanup(self) -> None:
        listed: set[str] = set()
        for rel, item in self.files.items():
            if rel.endswith("/stream.m3u8"):
                prefix = rel.rsplit("/", 1)[0]
                listed |= {f"{prefix}/{line}" for line in item.body.decode(errors="replace").splitlines()
                           if line and not line.startswith("#")}
        for rel in [r for r in self.files if r.endswith(".ts") and r not in listed]:
            del self.files[rel]

    async def close(self) -> None:
        self.closed += 1


class FakeTranscoder:
    """``Transcoder`` that treats input as opaque bytes and writes tiny fake HLS files.

    Every ``bytes_per_segment`` bytes written become one segment per variant (reported before
    the playlist that names it); the master playlist is written with the first segment. ``close``
    ends the session with exit code 0; ``crash`` simulates a child dying with code 1.
    """

    def __init__(self, *, bytes_per_segment: int = 1000) -> None:
        self.bytes_per_segment = bytes_per_segment
        self.sessions: list[FakeTranscodeSession] = []

    async def start(self, job: TranscodeJob, listener: TranscoderListener) -> FakeTranscodeSession:
        session = FakeTranscodeSession(job, listener, self.bytes_per_segment)
        self.sessions.append(session)
        return session


class FakeTranscodeSession:
    """The session of ``FakeTranscoder`` (see there)."""

    def __init__(self, job: TranscodeJob, listener: TranscoderListener, bytes_per_segment: int) -> None:
        self.job = job
        self._listener = listener
        self._per_segment = bytes_per_segment
        self._pending = 0
        self._segments = 0
        self._running = True
        self.received = 0
        self.stopped = False

    @property
    def running(self) -> bool:
        return self._running

    async def write(self, data: bytes) -> None:
        if not self._running:
            raise TranscoderGone("fake transcoder has exited")
        self.received += len(data)
        self._pending += len(data)
        while self._pending >= self._per_segment:
            self._pending -= self._per_segment
            await self._emit_segment()

    async def _emit_segment(self) -> None:
        root = Path(self.job.output_dir)
        n = self._segments
        self._segments += 1
        for index in range(len(self.job.variants)):
            vdir = root / str(index)
            vdir.mkdir(parents=True, exist_ok=True)
            name = f"stream-{self.job.segment_prefix}-{n}.ts"
            (vdir / name).write_bytes(b"G" * 188)
            await self._listener.segment_written(
                SegmentInfo(variant=index, path=str(vdir / name), duration=float(self.job.latency.segment_seconds))
            )
            first = max(0, n + 1 - self.job.latency.playlist_segments)
            names = [f"stream-{self.job.segment_prefix}-{i}.ts" for i in range(first, n + 1)]
            body = "#EXTM3U\n#EXT-X-VERSION:3\n" + "".join(f"#EXTINF:1.0,\n{x}\n" for x in names)
            (vdir / "stream.m3u8").write_text(body)
            await self._listener.variant_playlist_written(index, str(vdir / "stream.m3u8"))
        if n == 0:
            infos = tuple(
                VariantInfo(index=i, bandwidth=v.effective_video_bitrate * 1000, width=640, height=360,
                            codecs="avc1.64001e,mp4a.40.2", framerate=float(v.effective_framerate))
                for i, v in enumerate(self.job.variants)
            )
            lines = ["#EXTM3U"] + [
                f"#EXT-X-STREAM-INF:BANDWIDTH={i.bandwidth},RESOLUTION=640x360\n{i.index}/stream.m3u8"
                for i in infos
            ]
            (root / "stream.m3u8").write_text("\n".join(lines) + "\n")
            await self._listener.master_playlist_written(str(root / "stream.m3u8"), infos)

    async def close(self) -> None:
        await self._exit(0)

    async def crash(self) -> None:
        await self._exit(1)

    async def stop(self) -> None:
        self.stopped = True
        await self._exit(0)

    async def _exit(self, code: int) -> None:
        if not self._running:
            return
        self._running = False
        await self._listener.transcoder_exited(code)


# --- admin, webhooks, statistics (issue 4) ------------------------------------------------------


class InMemoryWebhookRepository:
    """``WebhookRepository`` in a dict; ids count up from 1 and are never reused."""

    def __init__(self) -> None:
        self._hooks: dict[int, Webhook] = {}
        self._next = 1

    async def create(self, *, url: str, events: tuple[str, ...], secret: str, timestamp: datetime) -> Webhook:
        hook = Webhook(id=self._next, url=url, events=tuple(events), timestamp=timestamp, secret=secret)
        self._hooks[hook.id] = hook
        self._next += 1
        return hook

    async def list(self) -> builtins.list[Webhook]:
        return [self._hooks[k] for k in sorted(self._hooks)]

    async def get(self, webhook_id: int) -> Webhook:
        try:
            return self._hooks[webhook_id]
        except KeyError:
            raise NotFoundError(f"no webhook {webhook_id}") from None

    async def for_event(self, event_type: str) -> builtins.list[Webhook]:
        return [self._hooks[k] for k in sorted(self._hooks) if event_type in self._hooks[k].events]

    async def delete(self, webhook_id: int) -> bool:
        return self._hooks.pop(webhook_id, None) is not None

    async def mark_used(self, webhook_id: int, at: datetime) -> None:
        if webhook_id in self._hooks:
            self._hooks[webhook_id] = replace(self._hooks[webhook_id], last_used=at)


class RecordingWebhookSender:
    """``WebhookSender`` that records requests and answers from a script.

    An answer is an int status or an exception instance to raise (``DeliveryFailed``,
    ``DeliveryRefused``). ``routes`` answers per URL, always the same; otherwise ``answers`` is
    consumed one item per request, and when it is empty every request gets 200. Recorded header
    names are lower-cased, ``content-type`` included, as a real receiver sees them.
    """

    def __init__(self, answers: list[int | BaseException] | None = None,
                 routes: Mapping[str, int | BaseException] | None = None) -> None:
        self.answers: list[int | BaseException] = list(answers or [])
        self.routes: dict[str, int | BaseException] = dict(routes or {})
        self.requests: list[tuple[str, bytes, dict[str, str]]] = []

    async def post(self, url: str, body: bytes, headers: Mapping[str, str], *, timeout: float) -> int:
        recorded = {k.lower(): v for k, v in headers.items()} | {"content-type": "application/json"}
        self.requests.append((url, body, recorded))
        if url in self.routes:
            answer = self.routes[url]
        else:
            answer = self.answers.pop(0) if self.answers else 200
        if isinstance(answer, BaseException):
            raise answer
        return answer


class InMemoryStatsRepository:
    """``StatsRepository`` in a list."""

    def __init__(self) -> None:
        self._samples: list[tuple[datetime, int]] = []

    async def add_viewer_count(self, at: datetime, count: int) -> None:
        self._samples.append((at.astimezone(UTC), int(count)))
        self._samples.sort(key=lambda s: s[0])

    async def viewer_counts(self, since: datetime) -> list[TimestampedValue]:
        return [TimestampedValue(at, float(n)) for at, n in self._samples if at >= since]

    async def prune(self, before: datetime) -> int:
        kept = [s for s in self._samples if s[0] >= before]
        removed = len(self._samples) - len(kept)
        self._samples = kept
        return removed


class FakeHardwareMonitor:
    """``HardwareMonitor`` returning ``next`` (a ``HardwareSample``; settable by tests)."""

    def __init__(self, cpu: float = 10.0, memory: float = 20.0, disk: float = 30.0) -> None:
        self.next = HardwareSample(cpu, memory, disk)

    async def sample(self) -> HardwareSample:
        return self.next


class InMemoryMetricsExporter:
    """``MetricsExporter`` keeping gauges in a dict; ``exposition`` is a minimal text format."""

    def __init__(self, names: Mapping[str, str] | None = None) -> None:
        self.values: dict[str, float] = {name: 0.0 for name in (names or GAUGES)}

    def set(self, name: str, value: float) -> None:
        if name not in self.values:
            raise KeyError(name)
        self.values[name] = float(value)

    def exposition(self) -> tuple[bytes, str]:
        text = "".join(f"# TYPE {k} gauge\n{k} {v}\n" for k, v in self.values.items())
        return text.encode(), "text/plain; version=0.0.4; charset=utf-8"


class InMemoryLogHistory(LogHistoryBuffer):
    """``LogHistory`` for tests: the core's in-memory ``LogHistoryBuffer`` itself (it does no I/O)."""


class FakeEncoderProbe:
    """``EncoderProbe`` with a fixed codec list; ``verify_ffmpeg`` accepts ``""`` and ``good_paths``."""

    def __init__(self, codecs: list[str] | None = None, good_paths: tuple[str, ...] = ()) -> None:
        self.codecs = list(codecs if codecs is not None else ["libx264"])
        self.good_paths = good_paths

    async def supported_codecs(self) -> list[str]:
        return list(self.codecs)

    async def verify_ffmpeg(self, path: str) -> None:
        if path and path not in self.good_paths:
            raise ValidationError(f"ffmpeg path {path!r} is not an ffmpeg executable")


class InMemoryLogoStore:
    """``LogoStore`` keeping the last logo in memory."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    async def save(self, data: bytes, extension: str) -> str:
        name = f"logo{extension}"
        self.files = {name: bytes(data)}
        return name


class StaticGeoIPLookup:
    """``GeoIPLookup`` answering from a dict of address -> ``GeoInfo`` (local addresses: Localhost)."""

    def __init__(self, table: Mapping[str, GeoInfo] | None = None) -> None:
        self.table = dict(table or {})

    @property
    def available(self) -> bool:
        return bool(self.table)

    async def lookup(self, address: str) -> GeoInfo | None:
        if parse_address(address) is None:
            return None
        if is_local_address(address):
            return LOCALHOST
        return self.table.get(address)


class PlainPageRenderer:
    """A tiny ``PageRenderer``: blank-line separated paragraphs in ``<p>``, http(s) URLs linked,
    lines starting with ``<`` passed through as raw HTML. Enough for service tests; the real
    adapter renders full markdown."""

    _URL = re.compile(r"(?<![\"'=])\bhttps?://[^\s<]+")

    def _render(self, markdown: str) -> str:
        blocks = [b.strip() for b in markdown.strip().split("\n\n") if b.strip()]
        out = []
        for block in blocks:
            if block.startswith("<"):
                out.append(block)
            else:
                out.append("<p>" + self._URL.sub(lambda m: f'<a href="{m[0]}">{m[0]}</a>', block) + "</p>")
        return "\n".join(out)

    def page(self, markdown: str) -> str:
        return self._render(markdown)

    def simple(self, markdown: str) -> str:
        return self._render(markdown)


# --- chat (issue 3) ---------------------------------------------------------------------------


class InMemoryUserRepository:
    """``UserRepository`` (chat users, tokens, API users, IP bans) in dicts."""

    def __init__(self) -> None:
        self._users: dict[str, ChatUser] = {}
        self._tokens: dict[str, str] = {}
        self._api: dict[str, ApiUser] = {}
        self._bans: dict[str, IPBan] = {}

    def _get(self, user_id: str) -> ChatUser:
        try:
            return self._users[user_id]
        except KeyError:
            raise NotFoundError(f"no user {user_id!r}") from None

    async def create_user(self, user: ChatUser, access_token: str) -> None:
        if user.id in self._users or access_token in self._tokens:
            raise ValidationError("duplicate user id or access token")
        self._users[user.id] = user
        self._tokens[access_token] = user.id

    async def add_token(self, user_id: str, access_token: str) -> None:
        self._get(user_id)
        if access_token in self._tokens:
            raise ValidationError("duplicate access token")
        self._tokens[access_token] = user_id

    async def user_by_token(self, access_token: str) -> ChatUser:
        user_id = self._tokens.get(access_token)
        if user_id is None:
            raise NotFoundError("unknown access token")
        return self._get(user_id)

    async def user_by_id(self, user_id: str) -> ChatUser:
        return self._get(user_id)

    async def rename(self, user_id: str, name: str, at: datetime) -> ChatUser:
        user = self._get(user_id).renamed(name, at)
        self._users[user_id] = user
        return user

    async def set_color(self, user_id: str, color: int) -> ChatUser:
        user = replace(self._get(user_id), display_color=color)
        self._users[user_id] = user
        return user

    async def set_disabled(self, user_id: str, at: datetime | None) -> ChatUser:
        user = replace(self._get(user_id), disabled_at=at)
        self._users[user_id] = user
        return user

    async def set_scopes(self, user_id: str, scopes: Sequence[str]) -> ChatUser:
        user = replace(self._get(user_id), scopes=tuple(dict.fromkeys(scopes)))
        self._users[user_id] = user
        return user

    async def name_reserved(self, name: str, except_user_id: str | None = None) -> bool:
        wanted = name.lower()
        return any(u.display_name.lower() == wanted and u.authenticated and u.enabled and u.id != except_user_id
                   for u in self._users.values())

    async def disabled_users(self) -> list[ChatUser]:
        found = [u for u in self._users.values() if u.disabled_at is not None and not u.is_bot]
        return sorted(found, key=lambda u: u.disabled_at or datetime.min.replace(tzinfo=UTC))

    async def moderators(self) -> list[ChatUser]:
        found = [u for u in self._users.values() if u.is_moderator and not u.is_bot]
        return sorted(found, key=lambda u: u.created_at)

    async def count_users(self) -> int:
        return sum(1 for u in self._users.values() if not u.is_bot)

    async def create_api_user(self, user: ApiUser) -> None:
        if user.access_token in self._api or user.access_token in self._tokens or user.id in self._users:
            raise ValidationError("duplicate access token or id")
        self._api[user.access_token] = user
        self._users[user.id] = user.as_chat_user()

    async def api_user_by_token(self, access_token: str) -> ApiUser:
        try:
            return self._api[access_token]
        except KeyError:
            raise NotFoundError("unknown access token") from None

    async def api_users(self) -> list[ApiUser]:
        return sorted(self._api.values(), key=lambda u: u.created_at)

    async def delete_api_user(self, access_token: str) -> None:
        user = await self.api_user_by_token(access_token)
        del self._api[access_token]
        self._users.pop(user.id, None)

    async def touch_api_user(self, access_token: str, at: datetime) -> None:
        user = await self.api_user_by_token(access_token)
        self._api[access_token] = replace(user, last_used_at=at)

    async def ban_ip(self, ip_address: str, notes: str, at: datetime) -> None:
        self._bans.setdefault(ip_address, IPBan(ip_address, notes, at))

    async def unban_ip(self, ip_address: str) -> None:
        self._bans.pop(ip_address, None)

    async def ip_bans(self) -> list[IPBan]:
        return sorted(self._bans.values(), key=lambda b: b.created_at)

    async def is_ip_banned(self, ip_address: str) -> bool:
        return ip_address in self._bans


class InMemoryIdentityLinkRepository:
    """``IdentityLinkRepository`` beside an ``InMemoryUserRepository`` (whose users and tokens
    it changes, as the SQLite adapter changes the same file)."""

    def __init__(self, users: InMemoryUserRepository) -> None:
        self._users = users
        self._links: list[IdentityLink] = []

    async def link(self, user_id: str, kind: str, identity: str, at: datetime) -> ChatUser:
        user = self._users._get(user_id)
        if any(x.kind == kind and x.identity == identity for x in self._links):
            raise ValidationError(f"{kind} identity {identity!r} is already linked")
        self._links.append(IdentityLink(user_id, kind, identity, at))
        user = replace(user, authenticated_at=at)
        self._users._users[user_id] = user
        return user

    async def linked_user_id(self, kind: str, identity: str) -> str:
        for x in self._links:
            if x.kind == kind and x.identity == identity:
                return x.user_id
        raise NotFoundError(f"no user holds {kind} identity {identity!r}")

    async def links(self, user_id: str) -> list[IdentityLink]:
        return sorted((x for x in self._links if x.user_id == user_id), key=lambda x: x.created_at)

    async def move_token(self, access_token: str, user_id: str) -> None:
        self._users._get(user_id)
        if access_token not in self._users._tokens:
            raise NotFoundError("unknown access token")
        self._users._tokens[access_token] = user_id


class InMemoryIndieAuthClient:
    """``IndieAuthClient`` over a table of websites, playing their authorization servers too.

    ``sites`` maps a profile URL to its ``IndieAuthEndpoints``. ``authorize(query)`` is the user
    approving at the authorization endpoint (the query of the redirect URL): it returns a new
    code, bound to the query's ``me`` (or ``me_override``), ``client_id``, ``redirect_uri`` and
    ``code_challenge``. ``redeem`` checks all of those and the PKCE verifier, once per code.
    Loopback/private IP literals and ``localhost`` are refused unless ``allow_private``; a
    profile URL in ``unreachable`` gets ``DeliveryFailed``. ``redeemed`` records every form."""

    def __init__(self, sites: Mapping[str, IndieAuthEndpoints] | None = None, *, allow_private: bool = False,
                 unreachable: Sequence[str] = ()) -> None:
        self.sites: dict[str, IndieAuthEndpoints] = dict(sites or {})
        self.allow_private = allow_private
        self.unreachable = set(unreachable)
        self.me_override: str | None = None
        self.redeemed: list[dict[str, str]] = []
        self._codes: dict[str, dict[str, str]] = {}
        self._n = 0

    def _check(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DeliveryRefused(f"not an http(s) URL: {url}")
        if not self.allow_private and names_local_host(parts.hostname):
            raise DeliveryRefused(f"{parts.hostname} is a loopback or private address")
        if url in self.unreachable:
            raise DeliveryFailed(f"no answer from {url}")

    async def discover(self, profile_url: str) -> IndieAuthEndpoints:
        self._check(profile_url)
        try:
            return self.sites[profile_url]
        except KeyError:
            raise NotFoundError(f"{profile_url} names no authorization endpoint") from None

    def authorize(self, query: Mapping[str, str]) -> str:
        self._n += 1
        code = f"code{self._n}"
        self._codes[code] = {"me": self.me_override or query["me"], "client_id": query["client_id"],
                             "redirect_uri": query["redirect_uri"], "challenge": query["code_challenge"]}
        return code

    async def redeem(self, endpoint: str, form: Mapping[str, str]) -> str:
        self._check(endpoint)
        self.redeemed.append(dict(form))
        grant = self._codes.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        expected = (base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                    if verifier else "")
        if (grant is None or form.get("grant_type") != "authorization_code"
                or form.get("client_id") != grant["client_id"] or form.get("redirect_uri") != grant["redirect_uri"]
                or not hmac.compare_digest(expected, grant["challenge"])):
            raise AuthenticationError("invalid_grant: the code, client or verifier does not match")
        return grant["me"]


class RecordingDirectMessenger:
    """The ``DirectMessenger`` of ``ChatAuthService`` (``FederationService.send_direct_message``)
    on a list: ``sent`` holds ``(actor_iri, html)``; ``fail`` (an exception) is raised instead."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self.sent: list[tuple[str, str]] = []
        self.fail: BaseException | None = None

    async def send_direct_message(self, actor_iri: str, html: str) -> None:
        if self.fail is not None:
            raise self.fail
        self.sent.append((actor_iri, html))


class InMemoryChatRepository:
    """``ChatRepository`` in a dict; authors are read from a ``UserRepository`` fake at query time."""

    def __init__(self, users: InMemoryUserRepository) -> None:
        self._users = users
        self._records: dict[str, ChatRecord] = {}

    async def save(self, records: Sequence[ChatRecord]) -> None:
        ids = [r.id for r in records]
        if len(set(ids)) != len(ids) or any(i in self._records for i in ids):
            raise ValidationError("duplicate message id")
        for record in records:
            self._records[record.id] = record

    def _entry(self, record: ChatRecord) -> HistoryEntry:
        user = self._users._users.get(record.user_id) if record.user_id else None
        return HistoryEntry(record, user)

    def _ordered(self) -> list[ChatRecord]:
        return sorted(self._records.values(), key=lambda r: r.timestamp)  # ties: insertion order

    async def history(self, limit: int) -> list[HistoryEntry]:
        entries = [self._entry(r) for r in self._ordered() if r.hidden_at is None]
        visible = [e for e in entries if e.record.user_id is None or (e.user is not None and e.user.enabled)]
        return visible[-limit:] if limit > 0 else []

    async def all_messages(self) -> list[HistoryEntry]:
        return [self._entry(r) for r in reversed(self._ordered())]

    async def set_hidden(self, ids: Sequence[str], at: datetime | None) -> None:
        for message_id in ids:
            if message_id in self._records:
                self._records[message_id] = replace(self._records[message_id], hidden_at=at)

    async def message_ids_for_user(self, user_id: str) -> list[str]:
        return [r.id for r in self._ordered() if r.user_id == user_id]

    async def messages_from_user(self, user_id: str) -> list[ChatRecord]:
        return [r for r in self._ordered() if r.user_id == user_id]

    async def prune(self, before: datetime) -> int:
        old = [k for k, r in self._records.items() if r.timestamp < before]
        for key in old:
            del self._records[key]
        return len(old)

    async def count(self) -> int:
        return len(self._records)


class EscapingMessageRenderer:
    """``MessageRenderer`` that treats every input as plain text: HTML-escaped paragraphs.

    Inert by construction (passes the security half of the contract); no markdown features.
    """

    def render_user(self, text: str) -> str:
        text = text.strip() if text else ""
        return f"<p>{_html.escape(text, quote=True)}</p>" if text else ""

    def render_trusted(self, text: str) -> str:
        text = text.strip() if text else ""
        return f"<p>{text}</p>" if text else ""


class InMemoryContentFilter:
    """``ContentFilter`` refusing text that contains one of ``words`` as a whole word."""

    def __init__(self, words: set[str] | None = None) -> None:
        self.words = {w.lower() for w in (words or set())}

    def allowed(self, text: str) -> bool:
        return not (set(re.findall(r"[a-z0-9]+", text.lower())) & self.words)


class RecordingChatTransport:
    """``ChatTransport`` keeping what was sent in ``frames`` (decoded in ``events``).

    ``limit`` is the outbound queue bound: frames not yet ``drain()``-ed count against it, and
    exceeding it closes the transport, as a real one does with a peer that stops reading.
    """

    def __init__(self, limit: int = 256, *, auto_drain: bool = True) -> None:
        self.frames: list[str] = []
        self.queued: list[str] = []
        self.limit = limit
        self.auto_drain = auto_drain
        self._closed = False

    def send(self, frame: str) -> bool:
        if self._closed:
            return False
        if len(self.queued) >= self.limit:
            self._closed = True
            return False
        self.queued.append(frame)
        if self.auto_drain:
            self.drain()
        return True

    def drain(self) -> None:
        self.frames.extend(self.queued)
        self.queued.clear()

    def close(self) -> None:
        if not self._closed:
            self.drain()
        self._closed = True

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(f) for f in self.frames]

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("type") == kind]


class _ManualTimer:
    def __init__(self, due: float, callback: Callable[[], Awaitable[None]]) -> None:
        self.due = due
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class ManualScheduler:
    """``Scheduler`` driven by a ``FakeClock``: ``await advance(s)`` moves the clock and runs every
    callback that falls due, in due order (``run_due`` runs those due now)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self._timers: list[_ManualTimer] = []

    def call_later(self, delay: float, callback: Callable[[], Awaitable[None]]) -> _ManualTimer:
        timer = _ManualTimer(self.clock.monotonic() + max(0.0, delay), callback)
        self._timers.append(timer)
        return timer

    @property
    def pending(self) -> int:
        return sum(1 for t in self._timers if not t.cancelled)

    async def run_due(self) -> None:
        while True:
            due = [t for t in self._timers if not t.cancelled and t.due <= self.clock.monotonic()]
            if not due:
                return
            timer = min(due, key=lambda t: t.due)
            self._timers.remove(timer)
            try:
                await timer.callback()
            except Exception:
                logging.getLogger("owncast.timers").exception("timer callback failed")

    async def advance(self, seconds: float) -> None:
        end = self.clock.monotonic() + seconds
        while True:
            upcoming = [t.due for t in self._timers if not t.cancelled and t.due <= end]
            step = (min(upcoming) if upcoming else end) - self.clock.monotonic()
            self.clock.advance(max(0.0, step))
            await self.run_due()
            if not upcoming:
                return

    async def close(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()


class InMemoryEmojiStore:
    """``EmojiStore`` in a dict of path -> bytes."""

    def __init__(self, files: Mapping[str, bytes] | None = None) -> None:
        self.files: dict[str, bytes] = dict(files or {})

    @staticmethod
    def _safe(path: str) -> str:
        parts = [p for p in path.replace("\\", "/").split("/") if p]
        if not parts or path.startswith("/") or any(p in (".", "..") for p in parts):
            raise NotFoundError(path)
        return "/".join(parts)

    async def list(self) -> list[Emoji]:
        return [Emoji(name=Path(p).stem, path=p) for p in sorted(self.files)]

    async def get(self, path: str) -> EmojiFile:
        key = self._safe(path)
        if key not in self.files:
            raise NotFoundError(path)
        return EmojiFile(self.files[key], "application/octet-stream")

    async def add(self, file_name: str, data: bytes) -> Emoji:
        name = Path(file_name.replace("\\", "/")).name
        if not name or name.startswith("."):
            raise ValidationError("invalid emoji name")
        if name in self.files:
            raise ValidationError(f"An emoji with the name {name!r} already exists")
        self.files[name] = bytes(data)
        return Emoji(name=Path(name).stem, path=name)

    async def delete(self, file_name: str) -> None:
        try:
            key = self._safe(file_name)
        except NotFoundError:
            raise ValidationError("Emoji path is not valid") from None
        if key not in self.files:
            raise NotFoundError(f"Emoji {file_name!r} doesn't exist")
        del self.files[key]


# --- notifications and the directory (reference §7) ----------------------------------------------


class InMemoryNotificationsRepository:
    """``NotificationsRepository`` in a list, in insertion order."""

    def __init__(self) -> None:
        self._rows: list[NotificationDestination] = []

    async def add(self, channel: str, destination: str, created_at: datetime) -> bool:
        if any(r.channel == channel and r.destination == destination for r in self._rows):
            return False
        self._rows.append(NotificationDestination(channel, destination, created_at))
        return True

    async def list(self, channel: str) -> builtins.list[NotificationDestination]:
        return [r for r in self._rows if r.channel == channel]

    async def count(self, channel: str) -> int:
        return sum(r.channel == channel for r in self._rows)

    async def remove(self, channel: str, destination: str) -> bool:
        kept = [r for r in self._rows if not (r.channel == channel and r.destination == destination)]
        removed = len(kept) != len(self._rows)
        self._rows = kept
        return removed


class RecordingDiscordNotifier:
    """``DiscordNotifier`` that records ``(webhook_url, message)`` and answers per URL from
    ``routes`` (an exception instance to raise, e.g. ``DeliveryFailed``); other URLs succeed."""

    def __init__(self, routes: Mapping[str, BaseException] | None = None) -> None:
        self.routes: dict[str, BaseException] = dict(routes or {})
        self.sent: list[tuple[str, DiscordMessage]] = []

    async def send(self, webhook_url: str, message: DiscordMessage, *, timeout: float) -> None:
        self.sent.append((webhook_url, message))
        if webhook_url in self.routes:
            raise self.routes[webhook_url]


class RecordingBrowserPushNotifier:
    """``BrowserPushNotifier`` that records ``(subscription, message, keys)`` and answers per
    endpoint from ``routes`` (an exception instance: ``SubscriptionGone``, ``DeliveryFailed``...);
    other endpoints succeed. ``generate_keys`` returns random bytes of the right shape (not a real
    P-256 pair: nothing here does cryptography)."""

    def __init__(self, routes: Mapping[str, BaseException] | None = None) -> None:
        self.routes: dict[str, BaseException] = dict(routes or {})
        self.sent: list[tuple[PushSubscription, PushMessage, VapidKeys]] = []
        self.generated = 0

    def generate_keys(self) -> VapidKeys:
        self.generated += 1
        return VapidKeys(public_key=b64url_encode(b"\x04" + os.urandom(64)), private_key=b64url_encode(os.urandom(32)))

    async def send(self, subscription: PushSubscription, message: PushMessage, *, keys: VapidKeys,
                   timeout: float) -> None:
        self.sent.append((subscription, message, keys))
        if subscription.endpoint in self.routes:
            raise self.routes[subscription.endpoint]


class RecordingDirectoryClient:
    """``DirectoryClient`` that records ``(directory_url, ping)`` and answers with a
    ``DirectoryReply`` or by raising an exception instance: per directory URL from ``routes``,
    else from ``replies`` (one per ping); when that is empty, success with the key it was sent
    (or ``"key-1"`` for an empty one)."""

    def __init__(self, replies: builtins.list[DirectoryReply | BaseException] | None = None,
                 routes: Mapping[str, DirectoryReply | BaseException] | None = None) -> None:
        self.replies: list[DirectoryReply | BaseException] = list(replies or [])
        self.routes: dict[str, DirectoryReply | BaseException] = dict(routes or {})
        self.pings: list[tuple[str, DirectoryPing]] = []

    async def ping(self, directory_url: str, ping: DirectoryPing, *, timeout: float) -> DirectoryReply:
        self.pings.append((directory_url, ping))
        if directory_url in self.routes:
            reply = self.routes[directory_url]
        else:
            reply = self.replies.pop(0) if self.replies else DirectoryReply(success=True, key=ping.key or "key-1")
        if isinstance(reply, BaseException):
            raise reply
        return reply


class InMemoryFollowersRepository:
    """``FollowersRepository`` in a dict keyed by actor IRI."""

    def __init__(self) -> None:
        self._rows: dict[str, Follower] = {}

    async def save(self, follower: Follower) -> None:
        known = self._rows.get(follower.actor_iri)
        self._rows[follower.actor_iri] = replace(follower, created_at=known.created_at) if known else follower

    async def get(self, actor_iri: str) -> Follower | None:
        return self._rows.get(actor_iri)

    async def remove(self, actor_iri: str) -> bool:
        return self._rows.pop(actor_iri, None) is not None

    async def list(self, state: FollowerState, *, offset: int = 0,
                   limit: int | None = None) -> builtins.list[Follower]:
        rows = sorted((f for f in self._rows.values() if f.state == state), key=lambda f: f.created_at,
                      reverse=True)[offset:]
        return rows if limit is None else rows[:limit]

    async def count(self, state: FollowerState) -> int:
        return sum(1 for f in self._rows.values() if f.state == state)


class FakeFederationCrypto:
    """``FederationCrypto`` without RSA: a "key pair" is a random secret seen from both sides
    (``fake-private:<s>`` / ``fake-public:<s>``) and a signature is HMAC-SHA256 with the secret.
    Only for tests: anyone who knows the public text can sign."""

    def __init__(self) -> None:
        self.generated = 0

    async def generate_keys(self) -> KeyPair:
        self.generated += 1
        secret = os.urandom(16).hex()
        return KeyPair(private_pem=f"fake-private:{secret}", public_pem=f"fake-public:{secret}")

    def sign(self, private_pem: str, data: bytes) -> bytes:
        return hmac.new(private_pem.removeprefix("fake-private:").encode(), data, hashlib.sha256).digest()

    def verify(self, public_pem: str, data: bytes, signature: bytes) -> bool:
        if not public_pem.startswith("fake-public:"):
            return False
        expected = hmac.new(public_pem.removeprefix("fake-public:").encode(), data, hashlib.sha256).digest()
        return hmac.compare_digest(expected, signature)


class RecordingFederationHttp:
    """``FederationHttp`` on a table: ``routes`` maps a URL to the ``HttpReply`` (or exception
    instance) both methods answer; other URLs raise ``DeliveryFailed``. Every request is
    recorded in ``requests`` as ``(method, url, headers, body)``."""

    def __init__(self, routes: Mapping[str, HttpReply | BaseException] | None = None) -> None:
        self.routes: dict[str, HttpReply | BaseException] = dict(routes or {})
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []

    def posts(self, url: str | None = None) -> builtins.list[dict[str, Any]]:
        """The JSON bodies POSTed (to ``url``), in order."""
        return [json.loads(body) for method, u, _, body in self.requests
                if method == "POST" and (url is None or u == url)]

    async def get(self, url: str, *, headers: Mapping[str, str], timeout: float, max_body: int) -> HttpReply:
        self.requests.append(("GET", url, dict(headers), b""))
        return self._answer(url, max_body)

    async def post(self, url: str, *, body: bytes, headers: Mapping[str, str], timeout: float,
                   max_body: int = 0) -> HttpReply:
        self.requests.append(("POST", url, dict(headers), body))
        return self._answer(url, max_body)

    def _answer(self, url: str, max_body: int) -> HttpReply:
        reply = self.routes.get(url)
        if reply is None:
            raise DeliveryFailed(f"nothing answers at {url}")
        if isinstance(reply, BaseException):
            raise reply
        return HttpReply(reply.status, reply.body[:max_body] if max_body > 0 else b"", dict(reply.headers))


class InMemoryActivityPubRepository:
    """``ActivityPubRepository`` in two lists."""

    def __init__(self) -> None:
        self._outbox: list[OutboxItem] = []
        self._actions: list[FederatedAction] = []

    async def add_outbox(self, item: OutboxItem) -> None:
        self._outbox.append(copy.deepcopy(item))

    async def get_outbox(self, item_id: str) -> OutboxItem | None:
        for item in self._outbox:
            if item_id in (item.object_id, item.activity_id):
                return copy.deepcopy(item)
        return None

    async def list_outbox(self, *, offset: int = 0, limit: int | None = None) -> builtins.list[OutboxItem]:
        rows = sorted(self._outbox, key=lambda i: i.created_at, reverse=True)[offset:]
        return copy.deepcopy(rows if limit is None else rows[:limit])

    async def count_outbox(self) -> int:
        return len(self._outbox)

    async def add_action(self, action: FederatedAction) -> bool:
        key = (action.iri, action.actor_iri, action.type)
        if any((a.iri, a.actor_iri, a.type) == key for a in self._actions):
            return False
        self._actions.append(action)
        return True

    async def list_actions(self, *, offset: int = 0,
                           limit: int | None = None) -> builtins.list[FederatedAction]:
        rows = sorted(self._actions, key=lambda a: a.timestamp, reverse=True)[offset:]
        return rows if limit is None else rows[:limit]

    async def count_actions(self) -> int:
        return len(self._actions)


class InMemoryDeliveryQueue:
    """``DeliveryQueue`` in a list, ids counting up from 1."""

    def __init__(self) -> None:
        self._rows: list[QueuedDelivery] = []
        self._next_id = 1

    async def add(self, activity_id: str, body: bytes, inboxes: Sequence[str], *, at: datetime) -> int:
        known = {(d.activity_id, d.inbox) for d in self._rows}
        added = 0
        for inbox in dict.fromkeys(inboxes):
            if (activity_id, inbox) in known:
                continue
            self._rows.append(QueuedDelivery(id=self._next_id, activity_id=activity_id, inbox=inbox, body=bytes(body),
                                             created_at=at, next_attempt_at=at))
            self._next_id += 1
            added += 1
        return added

    def _heads(self, skip_domains: Collection[str]) -> builtins.list[QueuedDelivery]:
        first: dict[str, QueuedDelivery] = {}
        for delivery in self._rows:
            first.setdefault(delivery.inbox, delivery)
        return [d for d in first.values() if d.domain not in skip_domains]

    async def due(self, now: datetime, *, limit: int,
                  skip_domains: Collection[str] = ()) -> builtins.list[QueuedDelivery]:
        return [d for d in self._heads(skip_domains) if d.next_attempt_at <= now][:max(0, limit)]

    async def next_due(self, *, skip_domains: Collection[str] = ()) -> datetime | None:
        return min((d.next_attempt_at for d in self._heads(skip_domains)), default=None)

    async def retry(self, delivery_id: int, *, at: datetime, error: str) -> None:
        self._rows = [replace(d, attempts=d.attempts + 1, next_attempt_at=at, last_error=error)
                      if d.id == delivery_id else d for d in self._rows]

    async def remove(self, delivery_id: int) -> bool:
        before = len(self._rows)
        self._rows = [d for d in self._rows if d.id != delivery_id]
        return len(self._rows) < before

    async def clear(self) -> int:
        count, self._rows = len(self._rows), []
        return count

    async def remove_domain(self, domain: str) -> int:
        before = len(self._rows)
        self._rows = [d for d in self._rows if d.domain != domain]
        return before - len(self._rows)

    async def remove_created_before(self, moment: datetime) -> int:
        before = len(self._rows)
        self._rows = [d for d in self._rows if d.created_at >= moment]
        return before - len(self._rows)

    async def list(self, *, offset: int = 0, limit: int | None = None) -> builtins.list[QueuedDelivery]:
        rows = self._rows[offset:]
        return rows if limit is None else rows[:limit]

    async def count(self) -> int:
        return len(self._rows)


class InMemoryDomainHealthRepository:
    """``DomainHealthRepository`` in a dict keyed by domain."""

    def __init__(self) -> None:
        self.records: dict[str, DomainHealth] = {}

    async def save(self, record: DomainHealth) -> None:
        self.records[record.domain] = record

    async def list(self) -> builtins.list[DomainHealth]:
        return [self.records[d] for d in sorted(self.records)]

    async def remove(self, domain: str) -> bool:
        return self.records.pop(domain, None) is not None


class InMemoryRecordingStore:
    """``RecordingStore`` in memory. ``files`` maps segment paths to the bytes ``read_segment``
    returns; ``finalize`` turns the appended bytes into the "media" (``media``) and reports
    ``seconds_per_append`` seconds per append. Faults: ``append_error`` (raised by every
    ``append``), ``finalize_error``, and ``free`` (what ``free_bytes`` says)."""

    def __init__(self, *, seconds_per_append: float = 2.0, free: int = 1 << 40) -> None:
        self.files: dict[str, bytes] = {}
        self.entries: dict[str, Recording] = {}
        self.streams: dict[str, bytearray] = {}
        self.appends: dict[str, int] = {}
        self.media: dict[str, bytes] = {}
        self.seconds_per_append = seconds_per_append
        self.free = free
        self.append_error: Exception | None = None
        self.finalize_error: Exception | None = None
        self._durations: dict[str, float] = {}

    def _known(self, recording_id: str) -> Recording:
        entry = self.entries.get(recording_id) if is_recording_id(recording_id) else None
        if entry is None:
            raise NotFoundError(f"no recording {recording_id!r}")
        return entry

    async def create(self, recording: Recording) -> None:
        check_recording_id(recording.id)
        if recording.id in self.entries:
            raise ValidationError(f"recording {recording.id} exists")
        self.entries[recording.id] = recording
        self.streams[recording.id] = bytearray()
        self.appends[recording.id] = 0

    async def save(self, recording: Recording) -> None:
        self._known(recording.id)
        self.entries[recording.id] = recording

    async def get(self, recording_id: str) -> Recording:
        return self._known(recording_id)

    async def list(self) -> builtins.list[Recording]:
        return sorted(self.entries.values(), key=lambda r: r.started_at, reverse=True)

    async def read_segment(self, path: str) -> bytes:
        try:
            return self.files[path]
        except KeyError:
            raise StorageError(f"cannot read {path}: no such file") from None

    async def append(self, recording_id: str, data: bytes) -> None:
        self._known(recording_id)
        if self.append_error is not None:
            raise self.append_error
        self.streams[recording_id] += data
        self.appends[recording_id] += 1

    async def finalize(self, recording_id: str) -> MediaInfo:
        self._known(recording_id)
        if self.finalize_error is not None:
            raise self.finalize_error
        stream = self.streams.get(recording_id)
        if stream:
            self.media[recording_id] = bytes(stream)
            self.streams[recording_id] = bytearray()
            self._durations[recording_id] = self.appends[recording_id] * self.seconds_per_append
            self.appends[recording_id] = 0
        if recording_id not in self.media:
            raise StorageError(f"recording {recording_id} has nothing to play")
        return MediaInfo(self._durations[recording_id], len(self.media[recording_id]))

    async def delete(self, recording_id: str) -> None:
        self._known(recording_id)
        for table in (self.entries, self.streams, self.appends, self.media, self._durations):
            table.pop(recording_id, None)

    async def drop_media(self, recording_id: str) -> None:
        self._known(recording_id)
        self.media.pop(recording_id, None)

    async def media_path(self, recording_id: str) -> str:
        self._known(recording_id)
        if recording_id not in self.media:
            raise NotFoundError(f"recording {recording_id} has no media")
        return f"memory/recordings/{recording_id}/recording.mp4"

    async def free_bytes(self) -> int:
        return self.free

    def location(self, recording_id: str) -> str:
        return f"memory/recordings/{recording_id}/"


class InMemoryRecordingArchive:
    """A remote ``RecordingArchive`` in memory: ``objects`` maps keys to bytes. ``upload`` reads
    the file through ``read`` (``InMemoryRecordingStore.media`` by path, say; default: the local
    file). ``download_url`` gives ``memory://archive/<key>?filename=..&expires=..`` and ``fetch``
    answers such a URL (``None`` once the object is gone). Faults: ``upload_error``,
    ``delete_error``. ``uploads`` counts the uploads per id."""

    def __init__(
        self, *, prefix: str = "", read: Callable[[str], bytes] | None = None, location: str = "memory"
    ) -> None:
        self.location = location  # another bucket: set another one
        self.objects: dict[str, bytes] = {}
        self.uploads: dict[str, int] = {}
        self.upload_error: Exception | None = None
        self.delete_error: Exception | None = None
        self._prefix = prefix
        self._read = read or _read_local_file

    @property
    def remote(self) -> bool:
        return True

    def describe(self) -> str:
        return "the in-memory archive"

    async def upload(self, recording_id: str, path: str) -> str:
        key = archive_key_for(recording_id, self._prefix)
        if self.upload_error is not None:
            raise self.upload_error
        try:
            data = self._read(path)
        except (OSError, KeyError) as exc:
            raise StorageError(f"cannot read {path}: {exc}") from exc
        self.objects[key] = data
        self.uploads[recording_id] = self.uploads.get(recording_id, 0) + 1
        return key

    async def download_url(self, key: str, *, filename: str, expires_seconds: int) -> str:
        if check_archive_key(key) not in self.objects:
            raise NotFoundError(f"nothing archived under {key}")
        return f"memory://archive/{key}?filename={filename}&expires={expires_seconds}"

    async def delete(self, key: str) -> None:
        check_archive_key(key)
        if self.delete_error is not None:
            raise self.delete_error
        self.objects.pop(key, None)

    def fetch(self, url: str) -> bytes | None:
        """What a GET of a ``download_url`` URL answers (``None``: not found)."""
        prefix = "memory://archive/"
        if not url.startswith(prefix):
            return None
        return self.objects.get(url[len(prefix):].split("?", 1)[0])


def _read_local_file(path: str) -> bytes:
    with open(path, "rb") as source:
        return source.read()


class InMemoryRecorder:
    """``Recorder`` that records the calls: ``calls`` holds ``("started", at, variant)``,
    ``("segment", SegmentInfo)``, ``("ended", at)``. ``records`` is what ``broadcast_started``
    answers; ``error`` is raised by every call (a broken recorder)."""

    def __init__(self, *, records: bool = True) -> None:
        self.records = records
        self.error: Exception | None = None
        self.calls: builtins.list[tuple[Any, ...]] = []

    async def broadcast_started(self, started_at: datetime, variant: int) -> bool:
        self.calls.append(("started", started_at, variant))
        if self.error is not None:
            raise self.error
        return self.records

    async def segment_written(self, segment: SegmentInfo) -> None:
        self.calls.append(("segment", segment))
        if self.error is not None:
            raise self.error

    async def broadcast_ended(self, ended_at: datetime) -> None:
        self.calls.append(("ended", ended_at))
        if self.error is not None:
            raise self.error


class InMemoryAdminAccountRepository:
    """``AdminAccountRepository`` in a dict keyed by lower-cased username."""

    def __init__(self) -> None:
        self._accounts: dict[str, AdminAccount] = {}

    async def create(self, account: AdminAccount) -> None:
        key = account.username.lower()
        if key in self._accounts:
            raise ValidationError(f"an admin account named {account.username} exists already")
        self._accounts[key] = account

    async def get(self, username: str) -> AdminAccount | None:
        return self._accounts.get(username.lower())

    async def list(self) -> builtins.list[AdminAccount]:
        return [self._accounts[k] for k in sorted(self._accounts)]

    async def delete(self, username: str) -> bool:
        return self._accounts.pop(username.lower(), None) is not None

    async def set_password_hash(self, username: str, password_hash: str) -> None:
        self._replace(username, password_hash=password_hash)

    async def record_login(self, username: str, at: datetime) -> None:
        self._replace(username, last_login_at=at)

    async def set_role(self, username: str, role: AdminRole) -> None:
        self._replace(username, role=role)

    def _replace(self, username: str, **changes: Any) -> None:
        key = username.lower()
        if key not in self._accounts:
            raise NotFoundError(f"no admin account {username}")
        self._accounts[key] = replace(self._accounts[key], **changes)


class InMemoryOwncastSource:
    """``LegacyOwncastSource`` holding its rows in memory (fill the public lists before ``run``).

    ``error`` set makes ``open`` raise ``ImportSourceError(error)``; ``opened``/``closed`` count calls.
    """

    def __init__(self, location: str = "memory://owncast") -> None:
        self.location = location
        self.error: str | None = None
        self.opened = 0
        self.closed = 0
        self.config: list[LegacyConfigEntry] = []
        self.user_rows: list[ChatUser] = []
        self.token_rows: list[LegacyAccessToken] = []
        self.message_rows: list[ChatRecord] = []
        self.ban_rows: list[IPBan] = []
        self.webhook_rows: list[LegacyWebhook] = []
        self.follower_rows: list[Follower] = []
        self.action_rows: list[FederatedAction] = []
        self.destination_rows: list[NotificationDestination] = []
        self.files: dict[str, LegacyFile] = {}
        self.emoji_files: list[LegacyFile] = []
        self.problems: dict[str, list[str]] = {}

    async def open(self) -> None:
        self.opened += 1
        if self.error is not None:
            raise ImportSourceError(self.error)

    async def close(self) -> None:
        self.closed += 1

    def _extract(self, name: str, items: Sequence[T]) -> Extract[T]:
        return Extract(list(items), list(self.problems.get(name, [])))

    async def config_entries(self) -> Extract[LegacyConfigEntry]:
        return self._extract("config", self.config)

    async def users(self) -> Extract[ChatUser]:
        return self._extract("users", self.user_rows)

    async def access_tokens(self) -> Extract[LegacyAccessToken]:
        return self._extract("tokens", self.token_rows)

    async def messages(self) -> Extract[ChatRecord]:
        return self._extract("messages", self.message_rows)

    async def ip_bans(self) -> Extract[IPBan]:
        return self._extract("bans", self.ban_rows)

    async def webhooks(self) -> Extract[LegacyWebhook]:
        return self._extract("webhooks", self.webhook_rows)

    async def followers(self) -> Extract[Follower]:
        return self._extract("followers", self.follower_rows)

    async def federated_actions(self) -> Extract[FederatedAction]:
        return self._extract("actions", self.action_rows)

    async def notification_destinations(self) -> Extract[NotificationDestination]:
        return self._extract("destinations", self.destination_rows)

    async def logo(self, file_name: str) -> LegacyFile | None:
        return self.files.get(file_name)

    async def emoji(self) -> Extract[LegacyFile]:
        return self._extract("emoji", self.emoji_files)
