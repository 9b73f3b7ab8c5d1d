"""ActivityPub documents and followers (reference §6.1, Owncast ``activitypub/*``): pure builders.

Every function here is pure: it takes the values it needs (server URL, names, keys, followers)
and returns JSON-ready dicts. IRIs follow Owncast: the one local actor is
``<serverURL>/federation/user/<username>`` with ``/inbox``, ``/outbox`` and ``/followers`` below
it, its key is ``<actor>#main-key``, and objects the server posts live at
``<serverURL>/federation/<id>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import quoteattr

from owncast_core.domain.timefmt import go_time

AS_CONTEXT: Final = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT: Final = "https://w3id.org/security/v1"
PUBLIC: Final = "https://www.w3.org/ns/activitystreams#Public"
ACTOR_CONTEXT: Final[list[Any]] = [
    AS_CONTEXT,
    SECURITY_CONTEXT,
    {
        "toot": "http://joinmastodon.org/ns#",
        "discoverable": "toot:discoverable",
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "Hashtag": "as:Hashtag",
        "schema": "http://schema.org#",
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
    },
]
ACTIVITY_JSON: Final = "application/activity+json"
JRD_JSON: Final = "application/jrd+json"
NODEINFO_SCHEMA: Final = "http://nodeinfo.diaspora.software/ns/schema/2.0"
HASHTAG_BASE: Final = "https://owncast.directory/tags/"
COLLECTION_PAGE_SIZE: Final = 50
RSA_KEY_BITS: Final = 2048  # Owncast ``crypto.GenerateKeys``

FollowerState = Literal["approved", "pending", "blocked"]


def is_activitypub_accept(accept: str | None) -> bool:
    """The ``Accept`` header asks for ActivityPub JSON (``activity+json`` or ``ld+json``)."""
    value = (accept or "").lower()
    return "application/activity+json" in value or "application/ld+json" in value


@dataclass(frozen=True, slots=True)
class LocalActor:
    """The server's one account: where its documents live."""

    server_url: str
    username: str

    @property
    def iri(self) -> str:
        return f"{self.server_url}/federation/user/{self.username}"

    @property
    def inbox(self) -> str:
        return f"{self.iri}/inbox"

    @property
    def outbox(self) -> str:
        return f"{self.iri}/outbox"

    @property
    def followers(self) -> str:
        return f"{self.iri}/followers"

    @property
    def key_id(self) -> str:
        return f"{self.iri}#main-key"

    @property
    def host(self) -> str:
        """The server URL's host (with its port, if any): the ``@host`` of the account."""
        return urlsplit(self.server_url).netloc

    @property
    def account(self) -> str:
        return f"{self.username}@{self.host}"

    def object_iri(self, object_id: str) -> str:
        return f"{self.server_url}/federation/{object_id}"


@dataclass(frozen=True, slots=True)
class Follower:
    """A remote actor following the server (Owncast's ``ap_followers`` row).

    ``approved_at`` is ``None`` while a follow request waits for the streamer (private mode);
    ``disabled_at`` is set for a blocked/rejected follower. ``follow_iri`` is the id of the
    ``Follow`` activity (an ``Accept`` sent later names it).
    """

    actor_iri: str
    inbox: str
    name: str
    username: str
    image: str
    created_at: datetime
    shared_inbox: str = ""
    follow_iri: str = ""
    approved_at: datetime | None = None
    disabled_at: datetime | None = None

    @property
    def state(self) -> FollowerState:
        if self.disabled_at is not None:
            return "blocked"
        return "approved" if self.approved_at is not None else "pending"

    @property
    def delivery_inbox(self) -> str:
        """Where posts go: the shared inbox when the server has one, else the actor's own."""
        return self.shared_inbox or self.inbox

    def to_json(self) -> dict[str, Any]:
        """Owncast's ``Follower`` JSON (``/api/followers``, ``/api/admin/followers*``)."""
        return {
            "link": self.actor_iri,
            "name": self.name,
            "username": self.username,
            "image": self.image,
            "timestamp": go_time(self.created_at),
            "disabledAt": go_time(self.disabled_at),
        }


# --- discovery ------------------------------------------------------------------------------------


def parse_acct(resource: str) -> tuple[str, str]:
    """``acct:user@host`` -> ``(user, host)``; raises ``ValueError`` for anything else."""
    if not resource.startswith("acct:"):
        raise ValueError("resource must be acct:<user>@<host>")
    user, sep, host = resource[len("acct:"):].partition("@")
    if not sep or not user or not host or "@" in host:
        raise ValueError("resource must be acct:<user>@<host>")
    return user, host


def webfinger(actor: LocalActor) -> dict[str, Any]:
    return {
        "subject": f"acct:{actor.account}",
        "aliases": [actor.iri],
        "links": [
            {"rel": "self", "type": ACTIVITY_JSON, "href": actor.iri},
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": actor.iri},
        ],
    }


def host_meta(server_url: str) -> str:
    template = quoteattr(f"{server_url}/.well-known/webfinger?resource={{uri}}")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
            f'  <Link rel="lrdd" type="application/json" template={template}/>\n'
            "</XRD>\n")


def nodeinfo_links(server_url: str) -> dict[str, Any]:
    return {"links": [{"rel": NODEINFO_SCHEMA, "href": f"{server_url}/nodeinfo/2.0"}]}


def nodeinfo(*, version: str, local_posts: int, chat_enabled: bool) -> dict[str, Any]:
    return {
        "version": "2.0",
        "software": {"name": "owncast", "version": version},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "usage": {"users": {"total": 1, "activeMonth": 1, "activeHalfyear": 1}, "localPosts": local_posts},
        "openRegistrations": False,
        "metadata": {"chat_enabled": chat_enabled},
    }


def x_nodeinfo2(*, server_url: str, name: str, version: str, local_posts: int) -> dict[str, Any]:
    return {
        "version": "1.0",
        "server": {"baseUrl": server_url, "name": name, "software": "owncast", "version": version},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": False,
        "usage": {"users": {"total": 1, "activeWeek": 1, "activeMonth": 1, "activeHalfyear": 1},
                  "localPosts": local_posts},
    }


def instance(*, server_url: str, name: str, summary: str, version: str, local_posts: int) -> dict[str, Any]:
    """Mastodon's ``/api/v1/instance`` as Owncast answers it."""
    return {
        "uri": server_url,
        "title": name,
        "short_description": summary,
        "description": summary,
        "version": version,
        "thumbnail": f"{server_url}/logo/external",
        "stats": {"user_count": 1, "status_count": local_posts, "domain_count": 0},
        "registrations": False,
        "approval_required": False,
        "languages": [],
        "email": "",
    }


def hashtag_name(tag: str) -> str:
    """A server tag as a hashtag name: everything but letters and digits removed."""
    return re.sub(r"[^\w]|_", "", tag)


def hashtag(tag: str) -> dict[str, str]:
    name = hashtag_name(tag)
    return {"type": "Hashtag", "name": f"#{name}", "href": f"{HASHTAG_BASE}{name}"}


def actor_document(
    actor: LocalActor,
    *,
    name: str,
    summary: str,
    public_key_pem: str,
    tags: list[str],
    social_links: list[tuple[str, str]],
    private: bool,
) -> dict[str, Any]:
    """The ``Service`` actor (Owncast ``MakeServiceForAccount``)."""
    avatar = f"{actor.server_url}/logo/external"
    attachments = [
        {
            "type": "PropertyValue",
            "name": platform,
            "value": f'<a href="{escape_html(url)}" rel="me nofollow noopener noreferrer" target="_blank">'
                     f"{escape_html(url)}</a>",
        }
        for platform, url in social_links
    ]
    return {
        "@context": ACTOR_CONTEXT,
        "id": actor.iri,
        "type": "Service",
        "name": name,
        "preferredUsername": actor.username,
        "summary": summary,
        "url": actor.iri,
        "inbox": actor.inbox,
        "outbox": actor.outbox,
        "followers": actor.followers,
        "manuallyApprovesFollowers": private,
        "discoverable": True,
        "publicKey": {"id": actor.key_id, "owner": actor.iri, "publicKeyPem": public_key_pem},
        "icon": {"type": "Image", "url": avatar},
        "image": {"type": "Image", "url": avatar},
        "tag": [hashtag(t) for t in tags if hashtag_name(t)],
        "attachment": attachments,
    }


def ordered_collection(iri: str, total: int) -> dict[str, Any]:
    """An ``OrderedCollection`` whose items are on pages (``?page=1``...)."""
    doc: dict[str, Any] = {"@context": AS_CONTEXT, "id": iri, "type": "OrderedCollection", "totalItems": total}
    if total:
        doc["first"] = f"{iri}?page=1"
    return doc


def ordered_collection_page(iri: str, page: int, total: int, items: list[Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": f"{iri}?page={page}",
        "type": "OrderedCollectionPage",
        "partOf": iri,
        "totalItems": total,
        "orderedItems": items,
    }
    if page * COLLECTION_PAGE_SIZE < total:
        doc["next"] = f"{iri}?page={page + 1}"
    if page > 1:
        doc["prev"] = f"{iri}?page={page - 1}"
    return doc


def escape_html(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


# --- reading remote actors ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RemoteActor:
    """What the server needs of a remote actor document."""

    iri: str
    inbox: str
    shared_inbox: str
    name: str
    username: str
    image: str
    key_id: str
    public_key_pem: str

    @classmethod
    def parse(cls, document: object) -> RemoteActor:
        """Read an actor document; raises ``ValueError`` saying what is missing."""
        if not isinstance(document, dict):
            raise ValueError("the actor document is not a JSON object")
        iri, inbox = document.get("id"), document.get("inbox")
        if not isinstance(iri, str) or not is_http_iri(iri):
            raise ValueError("the actor document has no id")
        if not isinstance(inbox, str) or not is_http_iri(inbox):
            raise ValueError("the actor document has no inbox")
        key = document.get("publicKey")
        if isinstance(key, list):
            key = key[0] if key else None
        key_id = key.get("id") if isinstance(key, dict) else None
        pem = key.get("publicKeyPem") if isinstance(key, dict) else None
        owner = key.get("owner", iri) if isinstance(key, dict) else None
        if not isinstance(key_id, str) or not isinstance(pem, str) or owner != iri:
            raise ValueError("the actor document has no public key of its own")
        endpoints = document.get("endpoints")
        shared = endpoints.get("sharedInbox") if isinstance(endpoints, dict) else None
        username = document.get("preferredUsername")
        name = document.get("name")
        icon = document.get("icon")
        if isinstance(icon, list):
            icon = icon[0] if icon else None
        image = icon.get("url") if isinstance(icon, dict) else None
        if isinstance(image, list):
            image = image[0] if image else None
        if isinstance(image, dict):
            image = image.get("href")
        user = username if isinstance(username, str) else ""
        return cls(
            iri=iri,
            inbox=inbox,
            shared_inbox=shared if isinstance(shared, str) and is_http_iri(shared) else "",
            name=name if isinstance(name, str) and name else user,
            username=f"{user}@{urlsplit(iri).hostname}" if user else "",
            image=image if isinstance(image, str) else "",
            key_id=key_id,
            public_key_pem=pem,
        )


def is_http_iri(value: str) -> bool:
    """An absolute http(s) URL with a host (and, if any, a numeric port)."""
    try:
        parts = urlsplit(value)
        _ = parts.port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def domain_blocked(iri: str, blocked: list[str]) -> bool:
    """The IRI's host is a blocked domain or below one (``evil.example`` blocks ``a.evil.example``)."""
    try:
        host = (urlsplit(iri).hostname or "").lower().rstrip(".")
    except ValueError:
        return False
    for entry in blocked:
        domain = entry.strip().lower().rstrip(".")
        if "://" in domain:
            try:
                domain = (urlsplit(domain).hostname or "").lower()
            except ValueError:
                continue
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


# --- posting (reference §6.2) ---------------------------------------------------------------------

FOLLOW_ACTION: Final = "FEDIVERSE_ENGAGEMENT_FOLLOW"
LIKE_ACTION: Final = "FEDIVERSE_ENGAGEMENT_LIKE"
REPOST_ACTION: Final = "FEDIVERSE_ENGAGEMENT_REPOST"


def engagement_text(action: str, *, actor_name: str, server_name: str, live: bool) -> str:
    """The chat line of a follow/like/repost (Owncast's ``handleEngagementActivity`` wording;
    Owncast joins the parts with two spaces, which HTML shows as one). ``live``: the liked or
    shared post is a go-live post. ``ValueError`` for another action."""
    if action == LIKE_ACTION:
        suffix = "liked that this stream went live." if live else f"liked a post from {server_name}."
    elif action == REPOST_ACTION:
        suffix = "shared this stream with their followers." if live else f"shared a post from {server_name}."
    elif action == FOLLOW_ACTION:
        suffix = "followed this stream."
    else:
        raise ValueError(f"not an engagement action: {action}")
    return f"{actor_name} {suffix}"


_HASHTAG_IN_TEXT = re.compile(r"(^|[\s>(])#(\w+)")


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A ``Create`` the server posted; ``activity["object"]`` is its ``Note``. ``object_id`` and
    ``activity_id`` are the last path segments of their IRIs (``/federation/<id>``)."""

    object_id: str
    activity_id: str
    activity: dict[str, Any]
    created_at: datetime
    live_notification: bool = False

    @property
    def note(self) -> dict[str, Any]:
        note = self.activity.get("object")
        return note if isinstance(note, dict) else {}


@dataclass(frozen=True, slots=True)
class FederatedAction:
    """Engagement from the Fediverse (Owncast's ``ap_accepted_activities``): a follow, like or
    repost, ``iri`` being the activity's id."""

    iri: str
    actor_iri: str
    type: str
    timestamp: datetime

    def to_json(self) -> dict[str, Any]:
        return {"iri": self.iri, "actorIRI": self.actor_iri, "type": self.type, "timestamp": go_time(self.timestamp)}


def hashtag_link(name: str) -> str:
    return f'<a class="hashtag" href="{HASHTAG_BASE}{name}">#{name}</a>'


def go_live_content(*, message: str, stream_title: str, tags: list[str], server_url: str) -> tuple[str, list[str]]:
    """The go-live Note's HTML and its hashtag names: the server tags without their
    non-alphanumerics, plus ``owncast`` when missing (Owncast ``SendLive``)."""
    names: list[str] = []
    for tag in tags:
        name = re.sub(r"[^a-zA-Z0-9]+", "", tag)
        if name and name not in names:
            names.append(name)
    if "owncast" not in (n.lower() for n in names):
        names.append("owncast")
    parts = [f"<p>{escape_html(message)}</p>"]
    if stream_title:
        parts.append(f"<p>{escape_html(stream_title)}</p>")
    parts.append(f"<p>{' '.join(hashtag_link(n) for n in names)}</p>")
    parts.append(f'<p><a href="{escape_html(server_url)}">{escape_html(server_url)}</a></p>')
    return "".join(parts), names


def link_hashtags(html: str) -> tuple[str, list[str]]:
    """Turn ``#word`` in rendered HTML text into hashtag links; returns the HTML and the names."""
    names: list[str] = []

    def link(match: re.Match[str]) -> str:
        name = match.group(2)
        if name not in names:
            names.append(name)
        return f"{match.group(1)}{hashtag_link(name)}"

    return _HASHTAG_IN_TEXT.sub(link, html), names


def create_note(
    actor: LocalActor,
    *,
    object_id: str,
    activity_id: str,
    content: str,
    published: datetime,
    hashtags: list[str],
    public: bool,
    image: tuple[str, str] | None = None,
    sensitive: bool = False,
) -> dict[str, Any]:
    """A ``Create`` of a ``Note`` by the local actor. Public: to Public, cc the followers;
    otherwise to the followers only. ``image`` is ``(url, media type)``."""
    to, cc = ([PUBLIC], [actor.followers]) if public else ([actor.followers], [])
    when = go_time(published)
    note: dict[str, Any] = {
        "id": actor.object_iri(object_id),
        "type": "Note",
        "attributedTo": actor.iri,
        "content": content,
        "published": when,
        "url": actor.object_iri(object_id),
        "to": to,
        "cc": cc,
        "tag": [{"type": "Hashtag", "name": f"#{n}", "href": f"{HASHTAG_BASE}{n}"} for n in hashtags],
    }
    if image is not None:
        note["attachment"] = [{"type": "Document", "mediaType": image[1], "url": image[0], "name": ""}]
    if sensitive:
        note["sensitive"] = True
    return {
        "@context": [AS_CONTEXT, {"Hashtag": "as:Hashtag", "sensitive": "as:sensitive"}],
        "id": actor.object_iri(activity_id),
        "type": "Create",
        "actor": actor.iri,
        "published": when,
        "to": to,
        "cc": cc,
        "object": note,
    }


REMOTE_FOLLOW_REL: Final = "http://ostatus.org/schema/1.0/subscribe"
"""The WebFinger link whose ``template`` is a server's "follow this account" page."""


def remote_follow_url(webfinger: Any, actor_iri: str) -> str | None:
    """The page of a Fediverse account's server for following ``actor_iri``: the ``template`` of
    the WebFinger document's ``subscribe`` link with ``{uri}`` expanded to the IRI
    (percent-encoded, as RFC 6570 expands a simple variable). ``None`` when there is no such
    link or the expansion is not an http(s) URL (a browser is sent there: never ``javascript:``)."""
    links = webfinger.get("links") if isinstance(webfinger, dict) else None
    for link in links if isinstance(links, list) else []:
        if not isinstance(link, dict) or link.get("rel") != REMOTE_FOLLOW_REL:
            continue
        template = link.get("template")
        if not isinstance(template, str) or "{uri}" not in template:
            continue
        url = template.replace("{uri}", quote(actor_iri, safe=""), 1)
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc:
            return url
    return None
