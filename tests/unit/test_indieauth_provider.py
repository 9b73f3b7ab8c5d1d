"""IndieAuthProviderService on fakes: a consent prompt for a valid request only, its one-time
token bound to that request, good for five minutes, capped in number; "deny" sends the client
access_denied and issues nothing; codes issued on "allow" only, redeemed once, within ten
minutes, with the same client_id / redirect_uri and the right PKCE verifier; the cap on pending
codes; the answer naming this server."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest

from owncast_core.domain.chat_auth import pkce_challenge
from owncast_core.domain.config import Keys
from owncast_core.domain.indieauth_provider import client_host, redirect_with_code, redirect_with_error
from owncast_core.errors import OAuthError
from owncast_core.services.config import ConfigService
from owncast_core.services.indieauth_provider import NO_CONSENT, IndieAuthProviderService
from owncast_core.testing.fakes import FakeClock, InMemoryConfigRepository, PlainPasswordHasher, SequentialIds

CLIENT = "https://app.example"
CALLBACK = "https://app.example/callback?from=owncast"
VERIFIER = "v" * 20 + "-._~" + "W" * 19  # 43 characters of the RFC 7636 alphabet


@dataclass
class Rig:
    config: ConfigService
    clock: FakeClock
    service: IndieAuthProviderService
    compared: list[tuple[bytes, bytes]]


@pytest.fixture
async def rig() -> Rig:
    config = ConfigService(repository=InMemoryConfigRepository(), hasher=PlainPasswordHasher())
    await config.load()
    await config.set(Keys.SERVER_URL, "https://tv.example")
    await config.set(Keys.SERVER_NAME, "Ada's Streams")
    clock = FakeClock()
    compared: list[tuple[bytes, bytes]] = []

    def compare(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return hmac.compare_digest(a, b)

    service = IndieAuthProviderService(config=config, clock=clock, secrets_source=SequentialIds(), max_pending=3,
                                       max_pending_consents=4, compare=compare)
    return Rig(config, clock, service, compared)


def request(**changes: str | None) -> dict[str, str]:
    query = {"response_type": "code", "client_id": CLIENT, "redirect_uri": CALLBACK, "state": "s-1",
             "code_challenge": pkce_challenge(VERIFIER), "code_challenge_method": "S256", "me": "https://tv.example/"}
    query.update({k: v for k, v in changes.items() if v is not None})
    return {k: v for k, v in query.items() if changes.get(k, "") is not None}


def approve(rig: Rig, **changes: str | None) -> str:
    """The streamer is shown the consent page for the request and allows it: the redirect."""
    prompt = rig.service.request_consent(request(**changes))
    return rig.service.decide(prompt.token, allow=True)


def issue(rig: Rig, **changes: str | None) -> tuple[str, dict[str, list[str]]]:
    query = parse_qs(urlsplit(approve(rig, **changes)).query)
    return query["code"][0], query


def form(issued: str, **changes: str) -> dict[str, str]:
    return {"grant_type": "authorization_code", "code": issued, "client_id": CLIENT, "redirect_uri": CALLBACK,
            "code_verifier": VERIFIER, **changes}


def refused(call: object, error: str, text: str = "") -> OAuthError:
    assert callable(call)
    with pytest.raises(OAuthError) as caught:
        call()
    assert caught.value.error == error, caught.value
    assert text in caught.value.description
    return caught.value


async def test_code_goes_back_to_the_client_and_redeems_for_this_server(rig: Rig) -> None:
    location = approve(rig)
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://app.example/callback"
    query = parse_qs(parts.query)
    assert query["from"] == ["owncast"] and query["state"] == ["s-1"] and query["iss"] == ["https://tv.example/"]
    assert rig.service.pending() == 1

    profile = rig.service.redeem(form(query["code"][0]))
    assert profile.to_json() == {"me": "https://tv.example/", "profile": {
        "name": "Ada's Streams", "url": "https://tv.example/", "photo": "https://tv.example/logo"}}
    assert rig.compared == [(pkce_challenge(VERIFIER).encode(), pkce_challenge(VERIFIER).encode())]
    assert rig.service.pending() == 0


async def test_a_code_is_good_once(rig: Rig) -> None:
    code, _ = issue(rig)
    rig.service.redeem(form(code))
    refused(lambda: rig.service.redeem(form(code)), "invalid_client", "no pending authentication request")


async def test_a_code_expires_after_ten_minutes(rig: Rig) -> None:
    fresh, _ = issue(rig)
    stale, _ = issue(rig, state="s-2")
    rig.clock.advance(600)
    assert rig.service.redeem(form(fresh)).me == "https://tv.example/"  # ten minutes exactly: still good
    rig.clock.advance(1)
    refused(lambda: rig.service.redeem(form(stale)), "invalid_client", "no pending")
    assert rig.service.pending() == 0


@pytest.mark.parametrize(("changes", "text"), [
    ({"code_verifier": "x" * 43}, "code verifier is incorrect"),
    ({"redirect_uri": "https://app.example/callback"}, "redirect URI does not match"),
    ({"client_id": "https://app.example/"}, "client ID does not match"),
])
async def test_a_mismatch_is_refused_and_uses_the_code_up(rig: Rig, changes: dict[str, str], text: str) -> None:
    code, _ = issue(rig)
    refused(lambda: rig.service.redeem(form(code, **changes)), "invalid_client", text)
    refused(lambda: rig.service.redeem(form(code)), "invalid_client", "no pending")  # not even the right one now


async def test_pending_codes_are_capped(rig: Rig) -> None:
    codes = [issue(rig, state=f"s{i}")[0] for i in range(3)]
    refused(lambda: approve(rig), "temporarily_unavailable", "Too many pending requests")
    rig.service.redeem(form(codes[0]))
    issue(rig)  # room again
    refused(lambda: approve(rig), "temporarily_unavailable")
    rig.clock.advance(601)
    issue(rig)  # the expired ones made room
    assert rig.service.pending() == 1


async def test_when_codes_are_full_allow_waits_and_keeps_its_token(rig: Rig) -> None:
    codes = [issue(rig, state=f"s{i}")[0] for i in range(3)]
    prompt = rig.service.request_consent(request(state="later"))  # the page is still shown
    refused(lambda: rig.service.decide(prompt.token, allow=True), "temporarily_unavailable", "Too many")
    assert rig.service.pending_consents() == 1 and rig.service.pending() == 3
    rig.service.redeem(form(codes[0]))
    location = rig.service.decide(prompt.token, allow=True)  # the same page, submitted again
    assert parse_qs(urlsplit(location).query)["state"] == ["later"]
    assert rig.service.pending_consents() == 0 and rig.service.pending() == 3


async def test_the_server_url_is_required(rig: Rig) -> None:
    code, _ = issue(rig)
    prompt = rig.service.request_consent(request(state="s-2"))
    await rig.config.set(Keys.SERVER_URL, "")
    refused(lambda: rig.service.request_consent(request()), "invalid_request", "server URL must be set")
    refused(lambda: rig.service.decide(prompt.token, allow=True), "invalid_request", "server URL must be set")
    refused(lambda: rig.service.redeem(form(code)), "invalid_request", "server URL must be set")
    assert (rig.service.pending_consents(), rig.service.pending()) == (1, 1)  # nothing issued, nothing lost


async def test_a_trailing_slash_in_the_server_url_is_not_doubled(rig: Rig) -> None:
    await rig.config.set(Keys.SERVER_URL, "https://tv.example/live/")
    code, query = issue(rig)
    assert query["iss"] == ["https://tv.example/live/"]
    profile = rig.service.redeem(form(code))
    assert (profile.me, profile.url, profile.photo) == (
        "https://tv.example/live/", "https://tv.example/live/", "https://tv.example/live/logo")


@pytest.mark.parametrize(("changes", "error", "text"), [
    ({"client_id": None}, "invalid_request", "client_id is required"),
    ({"redirect_uri": None}, "invalid_request", "redirect_uri is required"),
    ({"redirect_uri": "javascript:alert(1)"}, "invalid_request", "http or https"),
    ({"redirect_uri": "data:text/html,hi"}, "invalid_request", "http or https"),
    ({"redirect_uri": "//evil.example/cb"}, "invalid_request", "http or https"),
    ({"redirect_uri": "ftp://app.example/cb"}, "invalid_request", "http or https"),
    ({"redirect_uri": "https://evil.example/cb"}, "invalid_request", "same scheme, host and port"),
    ({"redirect_uri": "https://app.example.evil.example/cb"}, "invalid_request", "same scheme"),
    ({"redirect_uri": "http://app.example/cb"}, "invalid_request", "same scheme"),
    ({"redirect_uri": "https://app.example:8443/cb"}, "invalid_request", "same scheme"),
    ({"redirect_uri": "https://app.example@evil.example/cb"}, "invalid_request", "credentials"),
    ({"redirect_uri": "https://app.example\\@evil.example/"}, "invalid_request", "backslashes"),
    ({"redirect_uri": "https://app.example/cb#frag"}, "invalid_request", "fragment"),
    ({"redirect_uri": "https://app.example/c b"}, "invalid_request", "spaces"),
    ({"redirect_uri": "https://app.example/\r\nSet-Cookie:x"}, "invalid_request", "control characters"),
    ({"redirect_uri": "https://app.example:99999/cb"}, "invalid_request", "not a valid URL"),
    ({"redirect_uri": "https://app.example/" + "a" * 3000}, "invalid_request", "too long"),
    ({"client_id": "mailto:a@app.example"}, "invalid_request", "client_id must be an absolute"),
    ({"state": None}, "invalid_request", "state is required"),
    ({"state": "x" * 3000}, "invalid_request", "state is too long"),
    ({"code_challenge": None}, "invalid_request", "code_challenge is required"),
    ({"code_challenge": "short"}, "invalid_request", "code_challenge is required"),
    ({"code_challenge_method": "plain"}, "invalid_request", "S256"),
    ({"response_type": "token"}, "unsupported_response_type", "code"),
])
async def test_bad_requests_issue_nothing(rig: Rig, changes: dict[str, str | None], error: str, text: str) -> None:
    refused(lambda: rig.service.request_consent(request(**changes)), error, text)
    assert rig.service.pending() == 0 and rig.service.pending_consents() == 0


async def test_older_clients_without_response_type_or_method_are_served(rig: Rig) -> None:
    code, _ = issue(rig, response_type=None, code_challenge_method=None, me=None)
    assert rig.service.redeem({k: v for k, v in form(code).items() if k != "grant_type"}).me == "https://tv.example/"


async def test_same_origin_ignores_host_case_and_default_port_but_redemption_is_exact(rig: Rig) -> None:
    code, _ = issue(rig, client_id="https://APP.example:443/", redirect_uri="https://app.example/cb")
    refused(lambda: rig.service.redeem(form(code)), "invalid_client", "redirect URI does not match")


@pytest.mark.parametrize(("changes", "error", "text"), [
    ({"grant_type": "refresh_token"}, "unsupported_grant_type", "authorization_code"),
    ({"code": ""}, "invalid_request", "missing code"),
    ({"client_id": "", "code_verifier": ""}, "invalid_request", "missing client_id, code_verifier"),
    ({"code_verifier": "short"}, "invalid_request", "43 to 128"),
    ({"code_verifier": "é" * 43}, "invalid_request", "43 to 128"),
    ({"code_verifier": "x" * 129}, "invalid_request", "43 to 128"),
])
async def test_malformed_redemptions(rig: Rig, changes: dict[str, str], error: str, text: str) -> None:
    code, _ = issue(rig)
    refused(lambda: rig.service.redeem(form(code, **changes)), error, text)
    assert rig.service.pending() == 1  # a malformed form names no code: the code is still good
    assert rig.service.redeem(form(code)).name == "Ada's Streams"


async def test_non_string_values_are_treated_as_missing(rig: Rig) -> None:
    odd: Mapping[str, object] = {**request(), "client_id": ["https://app.example"]}
    refused(lambda: rig.service.request_consent(odd), "invalid_request", "client_id is required")


def test_redirect_with_code_replaces_what_the_uri_already_had() -> None:
    location = redirect_with_code("https://a.example/cb?code=old&x=1&state=old&iss=old", code="c", state="s",
                                  iss="https://tv.example/")
    assert parse_qs(urlsplit(location).query) == {"x": ["1"], "code": ["c"], "state": ["s"],
                                                  "iss": ["https://tv.example/"]}


def test_redirect_with_error_keeps_the_uri_own_parameters_and_drops_response_ones() -> None:
    location = redirect_with_error("https://a.example/cb?x=1&code=old&error=old&state=old", error="access_denied",
                                   state="s", iss="https://tv.example/")
    assert parse_qs(urlsplit(location).query) == {"x": ["1"], "error": ["access_denied"], "state": ["s"],
                                                  "iss": ["https://tv.example/"]}


@pytest.mark.parametrize(("client_id", "host"), [
    ("https://APP.example:443/", "app.example"),
    ("http://app.example:8080/x", "app.example:8080"),
    ("http://[::1]:8080/", "[::1]:8080"),
    ("https://app.example./", "app.example"),
])
def test_client_host_is_what_the_page_names_the_client_by(client_id: str, host: str) -> None:
    assert client_host(client_id) == host


async def test_consent_is_asked_before_anything_is_issued(rig: Rig) -> None:
    prompt = rig.service.request_consent(request(client_id="https://App.example:443/", redirect_uri=CALLBACK))
    assert (prompt.client_host, prompt.me) == ("app.example", "https://tv.example/")
    assert (prompt.request.client_id, prompt.request.redirect_uri, prompt.request.state) == (
        "https://App.example:443/", CALLBACK, "s-1")
    assert prompt.request.code_challenge == pkce_challenge(VERIFIER)
    assert len(prompt.token) >= 32
    assert rig.service.pending_consents() == 1 and rig.service.pending() == 0


async def test_a_consent_token_is_good_once(rig: Rig) -> None:
    prompt = rig.service.request_consent(request())
    rig.service.decide(prompt.token, allow=True)
    refused(lambda: rig.service.decide(prompt.token, allow=True), "invalid_request", NO_CONSENT)
    refused(lambda: rig.service.decide(prompt.token, allow=False), "invalid_request", NO_CONSENT)
    assert rig.service.pending() == 1 and rig.service.pending_consents() == 0


async def test_deny_sends_access_denied_back_and_issues_nothing(rig: Rig) -> None:
    prompt = rig.service.request_consent(request())
    location = rig.service.decide(prompt.token, allow=False)
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://app.example/callback"
    assert parse_qs(parts.query) == {"from": ["owncast"], "error": ["access_denied"], "state": ["s-1"],
                                     "iss": ["https://tv.example/"]}
    assert rig.service.pending() == 0 and rig.service.pending_consents() == 0
    refused(lambda: rig.service.decide(prompt.token, allow=True), "invalid_request", NO_CONSENT)  # no change of mind
    assert rig.service.pending() == 0


async def test_a_consent_token_expires_after_five_minutes(rig: Rig) -> None:
    fresh = rig.service.request_consent(request())
    stale = rig.service.request_consent(request(state="s-2"))
    rig.clock.advance(300)
    assert "code=" in rig.service.decide(fresh.token, allow=True)  # five minutes exactly: still good
    rig.clock.advance(1)
    refused(lambda: rig.service.decide(stale.token, allow=True), "invalid_request", NO_CONSENT)
    assert rig.service.pending_consents() == 0 and rig.service.pending() == 1


async def test_pending_consents_are_capped(rig: Rig) -> None:
    prompts = [rig.service.request_consent(request(state=f"s{i}")) for i in range(4)]
    refused(lambda: rig.service.request_consent(request()), "temporarily_unavailable", "Too many pending requests")
    rig.service.decide(prompts[0].token, allow=False)
    rig.service.request_consent(request())  # room again
    refused(lambda: rig.service.request_consent(request()), "temporarily_unavailable")
    rig.clock.advance(301)
    rig.service.request_consent(request())  # the expired ones made room
    assert rig.service.pending_consents() == 1


async def test_a_token_decides_only_its_own_request(rig: Rig) -> None:
    other_verifier = "o" * 43
    first = rig.service.request_consent(request())
    second = rig.service.request_consent(request(client_id="https://other.example/", state="s-other",
                                                 redirect_uri="https://other.example/cb",
                                                 code_challenge=pkce_challenge(other_verifier)))
    back = urlsplit(rig.service.decide(second.token, allow=True))
    query = parse_qs(back.query)
    assert (back.netloc, back.path, query["state"]) == ("other.example", "/cb", ["s-other"])
    assert rig.service.pending_consents() == 1  # the first page still waits
    refused(lambda: rig.service.redeem(form(query["code"][0])), "invalid_client")  # not the first client's code
    code, _ = issue(rig, state="s-3")
    assert rig.service.redeem(form(code)).me == "https://tv.example/"
    assert parse_qs(urlsplit(rig.service.decide(first.token, allow=True)).query)["state"] == ["s-1"]


@pytest.mark.parametrize("token", ["", "tok1", "x" * 32, "tok1".ljust(32, "x") + "x", " " + "tok1".ljust(32, "x")])
async def test_a_made_up_token_issues_nothing(rig: Rig, token: str) -> None:
    prompt = rig.service.request_consent(request())  # its token is tok1xxx... (SequentialIds)
    assert prompt.token == "tok1".ljust(32, "x")
    refused(lambda: rig.service.decide(token, allow=True), "invalid_request", NO_CONSENT)
    refused(lambda: rig.service.decide(token, allow=False), "invalid_request", NO_CONSENT)
    assert rig.service.pending() == 0 and rig.service.pending_consents() == 1
    assert "code=" in rig.service.decide(prompt.token, allow=True)  # the real one was not used up
