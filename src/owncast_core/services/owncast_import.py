"""Moving from Owncast: copy a Go Owncast v0.2 install's settings, chat and followers into ours.

``OwncastImportService.run()`` reads everything from a ``LegacyOwncastSource`` (read-only),
maps it through our own rules and writes it with our repositories, then returns an
``ImportReport``. Contract:

- The caller backs up our database first (``backup`` is awaited before anything is written).
- Running it again writes nothing new: settings are upserted by key (same value), users,
  access tokens, messages, IP bans and followers are matched by their id/key, webhooks by URL
  and events, Fediverse engagement by (activity, actor, type), push subscriptions by (channel,
  destination), emoji by file name; the logo is
  rewritten only when its bytes differ.
- Chat users keep their ids and access tokens, so viewers come back as the same chat user
  with the same name and colour. Messages older than the chat retention (``retention``,
  Owncast's 2 hours) are skipped: the server would delete them at its next start anyway.
- Values our rules refuse, unknown keys and unreadable rows are skipped and reported, never
  fatal. ``ImportSourceError`` from the source (not an Owncast database...) propagates.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import PurePosixPath
from typing import Any

from owncast_core.domain.activitypub import Follower
from owncast_core.domain.chat import HISTORY_RETENTION, ChatRecord, ChatUser
from owncast_core.domain.config import Keys
from owncast_core.domain.notifications import BROWSER_PUSH_NOTIFICATION, CHANNELS, PushSubscription
from owncast_core.domain.owncast_import import (
    ADMIN_PASSWORD_KEY,
    LOGO_PATH_KEY,
    CategoryReport,
    Extract,
    ImportReport,
    LegacyAccessToken,
    LegacyConfigEntry,
    Skipped,
    is_password_hash,
    map_config_entry,
)
from owncast_core.domain.webhooks import EVENT_TYPES
from owncast_core.errors import NotFoundError, ValidationError
from owncast_core.ports.activitypub import ActivityPubRepository, FollowersRepository
from owncast_core.ports.assets import LogoStore
from owncast_core.ports.auth import PasswordHasher
from owncast_core.ports.chat import ChatRepository, UserRepository
from owncast_core.ports.clock import Clock, SecretGenerator
from owncast_core.ports.emoji import EmojiStore
from owncast_core.ports.notifications import NotificationsRepository
from owncast_core.ports.owncast_import import LegacyOwncastSource
from owncast_core.ports.repositories import ConfigRepository
from owncast_core.ports.webhooks import WebhookRepository

_LOGO_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")
_MESSAGE_BATCH = 500


class OwncastImportService:
    """Imports one Owncast v0.2 install (see the module docstring for the contract)."""

    def __init__(
        self,
        *,
        source: LegacyOwncastSource,
        config: ConfigRepository,
        users: UserRepository,
        messages: ChatRepository,
        webhooks: WebhookRepository,
        followers: FollowersRepository,
        activities: ActivityPubRepository,
        notifications: NotificationsRepository,
        logo_store: LogoStore,
        emoji_store: EmojiStore,
        hasher: PasswordHasher,
        clock: Clock,
        secrets: SecretGenerator,
        backup: Callable[[], Awaitable[str | None]],
        retention: timedelta = HISTORY_RETENTION,
        logger: logging.Logger | None = None,
    ) -> None:
        self._source = source
        self._config = config
        self._users = users
        self._messages = messages
        self._webhooks = webhooks
        self._followers = followers
        self._activities = activities
        self._notifications = notifications
        self._logo_store = logo_store
        self._emoji_store = emoji_store
        self._hasher = hasher
        self._clock = clock
        self._secrets = secrets
        self._backup = backup
        self._retention = retention
        self._log = logger or logging.getLogger("owncast.import")

    async def run(self) -> ImportReport:
        await self._source.open()
        try:
            report = ImportReport(source=self._source.location)
            entries = await self._source.config_entries()
            report.backup = await self._backup()
            if report.backup:
                self._log.info("backed up the database to %s before importing", report.backup)
            logo_name = await self._import_config(entries, report.category("settings"))
            await self._import_logo(logo_name, report.category("logo"))
            await self._import_emoji(report.category("custom emoji"))
            await self._import_users(report.category("chat users"))
            await self._import_messages(report.category("chat messages"))
            await self._import_bans(report.category("IP bans"))
            await self._import_webhooks(report.category("webhooks"))
            await self._import_followers(report.category("Fediverse followers"))
            await self._import_actions(report.category("Fediverse engagement"))
            await self._import_destinations(report.category("go-live notification subscriptions"))
            return report
        finally:
            await self._source.close()

    def _problems(self, extract: Extract[Any], category: CategoryReport) -> None:
        for problem in extract.problems:
            category.skip("a row", problem)

    def _done(self, category: CategoryReport) -> None:
        self._log.info("%s", category.summary())
        for item in category.skipped:  # INFO: the report returned (and printed by the CLI) lists them
            self._log.info("%s: skipped %s: %s", category.name, item.what, item.reason)
        for item in category.not_needed:
            self._log.info("%s: not needed: %s (%s)", category.name, item.what, item.reason)

    # settings -----------------------------------------------------------------------------------
    async def _import_config(self, extract: Extract[LegacyConfigEntry], category: CategoryReport) -> str | None:
        self._problems(extract, category)
        current = await self._config.all()
        values: dict[str, Any] = {}
        logo_name: str | None = None
        for entry in extract.items:
            if entry.key == ADMIN_PASSWORD_KEY:
                hashed = self._admin_password(entry, current.get(Keys.ADMIN_PASSWORD_HASH), category)
                if hashed is not None:
                    values[Keys.ADMIN_PASSWORD_HASH] = hashed
                continue
            if entry.key == LOGO_PATH_KEY and entry.error is None and isinstance(entry.value, str):
                logo_name = entry.value
            mapped = map_config_entry(entry)
            if mapped.key is None:
                reason = mapped.skip_reason or "skipped"
                if mapped.needed:
                    category.skip(entry.key, reason)
                else:
                    category.not_needed.append(Skipped(entry.key, reason))
                continue
            values[mapped.key] = mapped.value
        changed = {k: v for k, v in values.items() if current.get(k, _MISSING) != v}
        category.imported = len(changed)
        category.unchanged = len(values) - len(changed)
        if changed:
            await self._config.set_many(changed)
        self._done(category)
        return logo_name

    def _admin_password(self, entry: LegacyConfigEntry, current: Any, category: CategoryReport) -> str | None:
        if entry.error is not None or not isinstance(entry.value, str) or not entry.value:
            category.skip(entry.key, "no admin password stored (ours stays as it is)")
            return None
        if is_password_hash(entry.value):
            return entry.value
        # Owncast before v0.1.1 kept it in plain text: hash it as ours does, unless it is ours already
        if isinstance(current, str) and current and self._hasher.verify(entry.value, current):
            return current
        return self._hasher.hash(entry.value)

    async def _import_logo(self, logo_name: str | None, category: CategoryReport) -> None:
        if not logo_name:
            category.skip("logo", "Owncast names no logo")
            self._done(category)
            return
        extension = PurePosixPath(logo_name).suffix.lower()
        logo = await self._source.logo(logo_name)
        if logo is None:
            category.skip(logo_name, "the file is not in the Owncast data directory")
        elif extension not in _LOGO_EXTENSIONS:
            category.skip(logo_name, f"not an image type we serve ({extension or 'no extension'})")
        else:
            # a content hash as the cache-busting id: the same logo imported again changes nothing
            fingerprint = hashlib.sha256(logo.data).hexdigest()[:20]
            current = await self._config.all()
            if current.get(Keys.LOGO) == f"logo{extension}" and current.get(Keys.LOGO_UUID) == fingerprint:
                category.unchanged = 1
            else:
                name = await self._logo_store.save(logo.data, extension)
                await self._config.set_many({Keys.LOGO: name, Keys.LOGO_UUID: fingerprint})
                category.imported = 1
        self._done(category)

    async def _import_emoji(self, category: CategoryReport) -> None:
        extract = await self._source.emoji()
        self._problems(extract, category)
        existing = {PurePosixPath(e.path).name for e in await self._emoji_store.list()}
        for file in extract.items:
            if file.name in existing:
                category.unchanged += 1
                continue
            try:
                await self._emoji_store.add(file.name, file.data)
            except ValidationError as exc:
                category.skip(file.name, str(exc))
            else:
                category.imported += 1
        self._done(category)

    # chat -----------------------------------------------------------------------------------------
    async def _import_users(self, category: CategoryReport) -> None:
        users = await self._source.users()
        tokens = await self._source.access_tokens()
        self._problems(users, category)
        self._problems(tokens, category)
        by_user: dict[str, list[LegacyAccessToken]] = {}
        for token in tokens.items:
            by_user.setdefault(token.user_id, []).append(token)
        known = {u.id for u in users.items}
        orphans = sum(1 for uid in by_user if uid not in known)
        if orphans:
            category.skip(f"{orphans} access token owner(s)", "the tokens name users that do not exist")
        for user in users.items:
            await self._import_user(user, by_user.get(user.id, []), category)
        self._done(category)

    async def _import_user(self, user: ChatUser, tokens: list[LegacyAccessToken], category: CategoryReport) -> None:
        try:
            await self._users.user_by_id(user.id)
            exists = True
        except NotFoundError:
            exists = False
        pending = list(tokens)
        if not exists:
            first = pending.pop(0).token if pending else self._secrets.token(32)
            try:
                await self._users.create_user(user, first)
            except ValidationError as exc:
                category.skip(f"user {user.display_name!r}", str(exc))
                return
            category.imported += 1
        else:
            category.unchanged += 1
        for token in pending:
            try:
                owner = await self._users.user_by_token(token.token)
            except NotFoundError:
                await self._users.add_token(user.id, token.token)
                continue
            if owner.id != user.id:
                category.skip(f"an access token of {user.display_name!r}", "it belongs to another user here")

    async def _import_messages(self, category: CategoryReport) -> None:
        extract = await self._source.messages()
        self._problems(extract, category)
        oldest = self._clock.now() - self._retention
        existing = {entry.record.id for entry in await self._messages.all_messages()}
        fresh: list[ChatRecord] = []
        too_old = 0
        for record in extract.items:
            if record.id in existing:
                category.unchanged += 1
            elif record.timestamp < oldest:
                too_old += 1
            else:
                existing.add(record.id)
                fresh.append(record)
        if too_old:
            category.skip(f"{too_old:,} message(s)", "older than the chat history kept (2 hours, as Owncast)")
        for start in range(0, len(fresh), _MESSAGE_BATCH):
            await self._messages.save(fresh[start:start + _MESSAGE_BATCH])
        category.imported = len(fresh)
        self._done(category)

    async def _import_bans(self, category: CategoryReport) -> None:
        extract = await self._source.ip_bans()
        self._problems(extract, category)
        banned = {ban.ip_address for ban in await self._users.ip_bans()}
        for ban in extract.items:
            if ban.ip_address in banned:
                category.unchanged += 1
                continue
            await self._users.ban_ip(ban.ip_address, ban.notes, ban.created_at)
            banned.add(ban.ip_address)
            category.imported += 1
        self._done(category)

    # integrations -------------------------------------------------------------------------------
    async def _import_webhooks(self, category: CategoryReport) -> None:
        extract = await self._source.webhooks()
        self._problems(extract, category)
        have = {(hook.url, frozenset(hook.events)) for hook in await self._webhooks.list()}
        for hook in extract.items:
            events = tuple(dict.fromkeys(e for e in hook.events if e in EVENT_TYPES))
            unknown = [e for e in hook.events if e not in EVENT_TYPES]
            if not events:
                category.skip(f"webhook {hook.url}", f"none of its events ({', '.join(unknown)}) is one we send")
                continue
            if unknown:
                category.skip(f"event(s) {', '.join(unknown)} of {hook.url}", "not an event type we send")
            if (hook.url, frozenset(events)) in have:
                category.unchanged += 1
                continue
            await self._webhooks.create(url=hook.url, events=events, secret=self._secrets.token(32),
                                        timestamp=hook.timestamp)
            have.add((hook.url, frozenset(events)))
            category.imported += 1
        self._done(category)

    async def _import_followers(self, category: CategoryReport) -> None:
        extract = await self._source.followers()
        self._problems(extract, category)
        for follower in extract.items:
            current = await self._followers.get(follower.actor_iri)
            if current == follower:
                category.unchanged += 1
                continue
            await self._followers.save(_keep_ours(current, follower))
            category.imported += 1
        self._done(category)

    async def _import_actions(self, category: CategoryReport) -> None:
        extract = await self._source.federated_actions()
        self._problems(extract, category)
        for action in extract.items:
            if await self._activities.add_action(action):
                category.imported += 1
            else:
                category.unchanged += 1
        self._done(category)

    async def _import_destinations(self, category: CategoryReport) -> None:
        extract = await self._source.notification_destinations()
        self._problems(extract, category)
        for dest in extract.items:
            if dest.channel not in CHANNELS:
                category.skip(f"a {dest.channel} subscription", "not a notification channel we send")
                continue
            try:
                if dest.channel == BROWSER_PUSH_NOTIFICATION:
                    PushSubscription.parse(dest.destination)
            except ValidationError as exc:
                category.skip("a browser push subscription", str(exc))
                continue
            if await self._notifications.add(dest.channel, dest.destination, dest.created_at):
                category.imported += 1
            else:
                category.unchanged += 1
        self._done(category)


_MISSING = object()


def _keep_ours(current: Follower | None, imported: Follower) -> Follower:
    """The imported follower, keeping the shared inbox we may have learnt since (Owncast has none)."""
    if current is None or not current.shared_inbox or imported.shared_inbox:
        return imported
    return replace(imported, shared_inbox=current.shared_inbox)

