"""ChatAuthService on fakes: IndieAuth (PKCE, state, expiry, cap, ``me`` check), Fediverse
one-time codes (expiry, tries, constant-time compare), and linking / re-pointing with the chat
the users see (a real ChatService on fakes)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest

from owncast_core.domain.chat_auth import (
    FEDIVERSE,
    INDIEAUTH,
    OTP_MAX_TRIES,
    IndieAuthEndpoints,
    actor_from_webfinger,
    fediverse_account,
    pkce_challenge,
    profile_url,
)
from owncast_core.domain.config import Keys
from owncast_core.errors import (
    AuthenticationError,
    DeliveryFailed,
    DeliveryRefused,
    FederationDisabled,
    ValidationError,
)
from owncast_core.ports.activitypub import HttpReply
from owncast_core.services.chat_auth import ChatAuthService
from owncast_core.services.webfinger import WebFingerLookup
from owncast_core.testing.fakes import (
    InMemoryIdentityLinkRepository,
    InMemoryIndieAuthClient,
    RecordingDirectMessenger,
    RecordingFederationHttp,
)

from .chat_rig import ChatRig

ALICE = "https://alice.example/"
ENDPOINT = "https://auth.example/authorize?tenant=7"
FINGER = "https://social.example/.well-known/webfinger?resource=acct:alice@social.example"
ALICE_ACTOR = "https://social.example/users/alice"


@dataclass
class Rig:
    chat: ChatRig
    service: ChatAuthService
    links: InMemoryIdentityLinkRepository
    indieauth: InMemoryIndieAuthClient
    messenger: RecordingDirectMessenger
    http: RecordingFederationHttp
    compared: list[tuple[bytes, bytes]]


@pytest.fixture
async def rig() -> Rig:
    chat = await ChatRig().start()
    await chat.config.set(Keys.SERVER_URL, "https://tv.example/")
    links = InMemoryIdentityLinkRepository(chat.user_repo)
    indieauth = InMemoryIndieAuthClient({ALICE: IndieAuthEndpoints(ENDPOINT)})
    messenger = RecordingDirectMessenger()
    jrd = {"subject": "acct:alice@social.example", "links": [
        {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": "https://social.example/@alice"},
        {"rel": "self", "type": "application/activity+json", "href": ALICE_ACTOR}]}
    http = RecordingFederationHttp({FINGER: HttpReply(200, json.dumps(jrd).encode())})
    compared: list[tuple[bytes, bytes]] = []

    def compare(a: bytes, b: bytes) -> bool:
        import hmac
        compared.append((a, b))
        return hmac.compare_digest(a, b)

    service = ChatAuthService(config=chat.config, users=chat.user_repo, links=links, indieauth=indieauth,
                              federation=messenger, webfinger=WebFingerLookup(http=http), chat=chat.chat,
                              clock=chat.clock, secrets_source=chat.ids, max_pending=3, compare=compare)
    return Rig(chat, service, links, indieauth, messenger, http, compared)


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# IndieAuth ---------------------------------------------------------------------------------------------
async def test_indieauth_redirect_carries_pkce_and_the_callback(rig: Rig) -> None:
    client, _, token = await rig.chat.join("Ada")
    redirect = await rig.service.start_indieauth(client.user, token, "alice.example")
    assert redirect.startswith("https://auth.example/authorize?tenant=7&")
    q = query(redirect)
    assert q["response_type"] == "code" and q["client_id"] == "https://tv.example"
    assert q["redirect_uri"] == "https://tv.example/api/auth/indieauth/callback"
    assert q["code_challenge_method"] == "S256" and q["me"] == ALICE and q["tenant"] == "7"
    assert len(q["state"]) >= 20 and len(q["code_challenge"]) == 43
    code = rig.indieauth.authorize(q)
    result = await rig.service.finish_indieauth(q["state"], code)
    form = rig.indieauth.redeemed[-1]
    assert pkce_challenge(form["code_verifier"]) == q["code_challenge"]
    assert (form["grant_type"], form["client_id"], form["redirect_uri"]) == (
        "authorization_code", q["client_id"], q["redirect_uri"])
    assert (result.user_id, result.identity, result.repointed) == (client.user.id, ALICE, False)
    assert (await rig.chat.user_repo.user_by_id(client.user.id)).authenticated
    assert await rig.links.linked_user_id(INDIEAUTH, ALICE) == client.user.id
    with pytest.raises(AuthenticationError):  # a state works once
        await rig.service.finish_indieauth(q["state"], code)


async def test_indieauth_needs_the_server_url_and_a_usable_site(rig: Rig) -> None:
    client, _, token = await rig.chat.join("Ada")
    await rig.chat.config.set(Keys.SERVER_URL, "")
    with pytest.raises(ValidationError, match="server URL"):
        await rig.service.start_indieauth(client.user, token, ALICE)
    await rig.chat.config.set(Keys.SERVER_URL, "https://tv.example")
    for bad in (None, "", 42, "ftp://alice.example/", "javascript:alert(1)", "https://u:p@alice.example/",
                "https://alice.example/#x", "http://exa mple.com/", "https://" + "a" * 3000):
        with pytest.raises(ValidationError):
            await rig.service.start_indieauth(client.user, token, bad)
    for refused in ("http://127.0.0.1/", "http://localhost:8080/", "http://192.168.1.1/"):
        with pytest.raises(ValidationError, match="unable to use"):
            await rig.service.start_indieauth(client.user, token, refused)
    with pytest.raises(ValidationError, match="does not support IndieAuth"):
        await rig.service.start_indieauth(client.user, token, "https://bob.example/")
    rig.indieauth.unreachable.add("https://down.example/")
    with pytest.raises(ValidationError, match="unable to reach"):
        await rig.service.start_indieauth(client.user, token, "https://down.example")
    assert rig.service.pending_indieauth() == 0


async def test_indieauth_requests_expire_after_ten_minutes(rig: Rig) -> None:
    client, _, token = await rig.chat.join("Ada")
    q = query(await rig.service.start_indieauth(client.user, token, ALICE))
    code = rig.indieauth.authorize(q)
    rig.chat.clock.advance(10 * 60 + 1)
    assert rig.service.pending_indieauth() == 0
    with pytest.raises(AuthenticationError):
        await rig.service.finish_indieauth(q["state"], code)
    assert rig.indieauth.redeemed == []


async def test_indieauth_pending_requests_are_capped_oldest_dropped(rig: Rig) -> None:
    client, _, token = await rig.chat.join("Ada")
    states = [query(await rig.service.start_indieauth(client.user, token, ALICE))["state"] for _ in range(4)]
    assert rig.service.pending_indieauth() == 3
    with pytest.raises(AuthenticationError):
        await rig.service.finish_indieauth(states[0], "code")
    with pytest.raises(AuthenticationError):  # the newest is still there (and fails on its bad code)
        await rig.service.finish_indieauth(states[3], "bad-code")
    assert rig.indieauth.redeemed[-1]["code"] == "bad-code"


async def test_indieauth_wrong_me_is_refused(rig: Rig) -> None:
    client, _, token = await rig.chat.join("Ada")
    q = query(await rig.service.start_indieauth(client.user, token, ALICE))
    rig.indieauth.me_override = "https://mallory.example/"
    with pytest.raises(AuthenticationError, match="does not match"):
        await rig.service.finish_indieauth(q["state"], rig.indieauth.authorize(q))
    assert not (await rig.chat.user_repo.user_by_id(client.user.id)).authenticated
    rig.indieauth.me_override = "https://alice.example"  # only a trailing slash apart: the same
    q = query(await rig.service.start_indieauth(client.user, token, ALICE))
    await rig.service.finish_indieauth(q["state"], rig.indieauth.authorize(q))
    assert (await rig.chat.user_repo.user_by_id(client.user.id)).authenticated


async def test_indieauth_refused_code_or_missing_parameters(rig: Rig) -> None:
    client, _, token = await rig.chat.join("Ada")
    q = query(await rig.service.start_indieauth(client.user, token, ALICE))
    for state, code in ((None, "x"), (q["state"], None), ("", ""), (["list"], "x")):
        with pytest.raises(AuthenticationError):
            await rig.service.finish_indieauth(state, code)
    with pytest.raises(AuthenticationError, match="invalid_grant"):
        await rig.service.finish_indieauth(q["state"], "never-issued")


# linking and re-pointing ---------------------------------------------------------------------------------
async def sign_in_with_indieauth(rig: Rig, user_token: tuple[object, str]) -> None:
    client, token = user_token
    q = query(await rig.service.start_indieauth(client.user, token, ALICE))  # type: ignore[attr-defined]
    await rig.service.finish_indieauth(q["state"], rig.indieauth.authorize(q))


async def test_sign_in_marks_connections_authenticated_and_reserves_the_name(rig: Rig) -> None:
    ada, ada_transport, ada_token = await rig.chat.join("Ada")
    before = len(ada_transport.of_type("CONNECTED_USER_INFO"))
    await sign_in_with_indieauth(rig, (ada, ada_token))
    infos = ada_transport.of_type("CONNECTED_USER_INFO")
    assert len(infos) == before + 1 and infos[-1]["user"]["authenticated"] is True
    assert ada.user.authenticated
    # §2.5: nobody else may take the name now, at registration or by renaming
    other, other_transport, _ = await rig.chat.join("ada")
    assert other.user.display_name != "ada"
    await rig.chat.chat.receive(other, json.dumps({"type": "NAME_CHANGE", "newName": "ADA"}))
    assert "If this is your name, please authenticate" in other_transport.of_type("CHAT_ACTION")[-1]["body"]
    assert (await rig.chat.user_repo.user_by_id(other.user.id)).display_name != "ADA"


async def test_an_identity_already_linked_repoints_the_token(rig: Rig) -> None:
    ada, _, ada_token = await rig.chat.join("Ada")
    await sign_in_with_indieauth(rig, (ada, ada_token))
    _watcher, watcher_transport, _ = await rig.chat.join("Watcher")
    # the same person, on another browser, anonymous as "Guest 7"
    guest, guest_transport, guest_token = await rig.chat.join("Guest 7")
    q = query(await rig.service.start_indieauth(guest.user, guest_token, ALICE))
    result = await rig.service.finish_indieauth(q["state"], rig.indieauth.authorize(q))
    assert result.repointed and result.user_id == ada.user.id
    assert (await rig.chat.user_repo.user_by_token(guest_token)).id == ada.user.id
    assert guest.user.id == ada.user.id and guest.user.display_name == "Ada"  # the open socket too
    assert guest_transport.of_type("CONNECTED_USER_INFO")[-1]["user"]["id"] == ada.user.id
    action = watcher_transport.of_type("CHAT_ACTION")[-1]
    assert action["body"] == "<p>**Guest 7** is now authenticated as **Ada**</p>"  # the fake renderer escapes only
    assert await rig.chat.chat.history() == []  # ephemeral: not kept
    # the guest now chats as Ada
    await rig.chat.say(guest, "hello")
    assert watcher_transport.of_type("CHAT")[-1]["user"]["id"] == ada.user.id
    assert [c.user.id for c in rig.chat.chat.clients()].count(ada.user.id) == 2


async def test_indieauth_repoint_to_the_same_name_is_silent(rig: Rig) -> None:
    ada, _, ada_token = await rig.chat.join("Ada")
    again, transport, again_token = await rig.chat.join("Ada")  # both before "Ada" was reserved
    await sign_in_with_indieauth(rig, (ada, ada_token))
    await sign_in_with_indieauth(rig, (again, again_token))
    assert (await rig.chat.user_repo.user_by_token(again_token)).id == ada.user.id
    assert transport.of_type("CHAT_ACTION") == []  # Owncast announces only a change of name


async def test_signing_in_again_as_oneself_changes_nothing(rig: Rig) -> None:
    ada, transport, ada_token = await rig.chat.join("Ada")
    await sign_in_with_indieauth(rig, (ada, ada_token))
    await sign_in_with_indieauth(rig, (ada, ada_token))
    assert transport.of_type("CHAT_ACTION") == []
    assert [x.identity for x in await rig.links.links(ada.user.id)] == [ALICE]


# Fediverse one-time codes ---------------------------------------------------------------------------------
def sent_code(rig: Rig) -> str:
    actor, html = rig.messenger.sent[-1]
    assert actor == ALICE_ACTOR
    match = re.search(r"<p>(\d{6})</p>", html)
    assert match is not None, html
    return match.group(1)


async def test_fediverse_code_links_the_account(rig: Rig) -> None:
    ada, transport, token = await rig.chat.join("Ada")
    await rig.service.start_fediverse(ada.user, token, "@alice@social.example")
    assert rig.http.requests[-1][1] == FINGER and "jrd+json" in rig.http.requests[-1][2]["Accept"]
    code = sent_code(rig)
    assert "Test Server" in rig.messenger.sent[-1][1]
    result = await rig.service.verify_fediverse(token, code)
    assert (result.identity, result.repointed) == ("alice@social.example", False)
    assert await rig.links.linked_user_id(FEDIVERSE, "alice@social.example") == ada.user.id
    assert transport.of_type("CONNECTED_USER_INFO")[-1]["user"]["authenticated"] is True
    assert rig.compared and rig.compared[-1] == (code.encode(), code.encode())  # constant-time compare used
    with pytest.raises(AuthenticationError):  # used up
        await rig.service.verify_fediverse(token, code)


async def test_fediverse_repoint_is_always_announced(rig: Rig) -> None:
    ada, _, token = await rig.chat.join("Ada")
    await rig.service.start_fediverse(ada.user, token, "alice@social.example")
    await rig.service.verify_fediverse(token, sent_code(rig))
    other, transport, other_token = await rig.chat.join("Other")
    await rig.service.start_fediverse(other.user, other_token, "@alice@SOCIAL.example")
    result = await rig.service.verify_fediverse(other_token, " " + sent_code(rig) + " ")
    assert result.repointed and result.user_id == ada.user.id
    assert "is now authenticated as" in transport.of_type("CHAT_ACTION")[-1]["body"]


async def test_fediverse_code_expires_after_three_minutes(rig: Rig) -> None:
    ada, _, token = await rig.chat.join("Ada")
    await rig.service.start_fediverse(ada.user, token, "@alice@social.example")
    code = sent_code(rig)
    rig.chat.clock.advance(3 * 60 + 1)
    with pytest.raises(AuthenticationError):
        await rig.service.verify_fediverse(token, code)
    assert rig.service.pending_codes() == 0


async def test_fediverse_wrong_codes_drop_the_request(rig: Rig) -> None:
    ada, _, token = await rig.chat.join("Ada")
    await rig.service.start_fediverse(ada.user, token, "@alice@social.example")
    code = sent_code(rig)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(OTP_MAX_TRIES - 1):
        with pytest.raises(AuthenticationError, match="wrong code"):
            await rig.service.verify_fediverse(token, wrong)
    with pytest.raises(AuthenticationError, match="too many"):
        await rig.service.verify_fediverse(token, wrong)
    with pytest.raises(AuthenticationError):  # even the right code is too late now
        await rig.service.verify_fediverse(token, code)
    for bad in (None, 123456, ""):
        with pytest.raises(AuthenticationError):
            await rig.service.verify_fediverse(token, bad)


async def test_one_pending_code_per_token(rig: Rig) -> None:
    ada, _, token = await rig.chat.join("Ada")
    await rig.service.start_fediverse(ada.user, token, "@alice@social.example")
    first = sent_code(rig)
    await rig.service.start_fediverse(ada.user, token, "@alice@social.example")
    second = sent_code(rig)
    assert rig.service.pending_codes() == 1
    if first != second:
        with pytest.raises(AuthenticationError):
            await rig.service.verify_fediverse(token, first)
    await rig.service.verify_fediverse(token, second)


async def test_fediverse_needs_federation_and_a_reachable_account(rig: Rig) -> None:
    ada, _, token = await rig.chat.join("Ada")
    for bad in ("alice", "@alice", "alice@", "a b@c.example", "https://social.example/@alice", None, 5):
        with pytest.raises(ValidationError):
            await rig.service.start_fediverse(ada.user, token, bad)
    rig.messenger.enabled = False
    with pytest.raises(FederationDisabled):
        await rig.service.start_fediverse(ada.user, token, "@alice@social.example")
    rig.messenger.enabled = True
    with pytest.raises(ValidationError, match="unable to reach"):
        await rig.service.start_fediverse(ada.user, token, "@bob@nowhere.example")
    rig.http.routes["https://private.example/.well-known/webfinger?resource=acct:x@private.example"] = \
        DeliveryRefused("private")
    with pytest.raises(ValidationError, match="unable to use"):
        await rig.service.start_fediverse(ada.user, token, "@x@private.example")
    rig.http.routes["https://gone.example/.well-known/webfinger?resource=acct:x@gone.example"] = HttpReply(404, b"")
    with pytest.raises(ValidationError, match="not found"):
        await rig.service.start_fediverse(ada.user, token, "@x@gone.example")
    rig.messenger.fail = DeliveryFailed("inbox said no")
    with pytest.raises(ValidationError, match="inbox said no"):
        await rig.service.start_fediverse(ada.user, token, "@alice@social.example")
    assert rig.service.pending_codes() == 0  # nothing pending when nothing was sent


def test_domain_rules() -> None:
    assert profile_url("Alice.Example") == "https://alice.example/"
    assert profile_url("http://alice.example:8080/me?x=1") == "http://alice.example:8080/me?x=1"
    assert fediverse_account("@Alice@Social.Example") == ("Alice", "social.example")
    assert fediverse_account("bob@127.0.0.1:8080") == ("bob", "127.0.0.1:8080")
    assert pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == \
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 appendix B
    with pytest.raises(ValidationError):
        actor_from_webfinger({"links": [{"rel": "self", "type": "text/html", "href": "https://x.example/"}]})
    with pytest.raises(ValidationError):
        actor_from_webfinger({"links": [{"rel": "self", "type": "application/activity+json", "href": "ftp://x"}]})
