"""The streamer's IndieAuth authorization endpoint (reference §1.2, §6.3):

- ``GET /api/auth/provider/indieauth?response_type=code&client_id&redirect_uri&state&
  code_challenge&code_challenge_method=S256&me``: behind the admin Basic auth, as in Owncast,
  but signing in is not approval (stricter than Owncast): 200, the consent page
  (``consent_page.py``) with a one-time token; nothing is issued yet. A bad request is never
  redirected: 400 ``{error, error_description}``. A browser saying the page is loaded as
  anything but a document (``Sec-Fetch-Dest``: a frame, an image, a fetch) gets 403.
- ``POST /api/auth/provider/indieauth/consent`` (``application/x-www-form-urlencoded``)
  ``token&decision=allow|deny``: the page's form, behind the admin Basic auth; refused with 403
  when the browser says it comes from another site (``Sec-Fetch-Site``, ``Origin``, else
  ``Referer``, each checked when present). 303 to ``redirect_uri`` with ``code``, ``state`` and
  ``iss`` (allow) or ``error=access_denied``, ``state`` and ``iss`` (deny); an unknown, expired
  or used token: 400 ``{error, error_description}``, nothing issued.
- ``POST`` (``application/x-www-form-urlencoded``) ``grant_type=authorization_code&code&
  client_id&redirect_uri&code_verifier``: public (the client site's server calls it); 200
  ``{me, profile: {name, url, photo}}``, else 400 ``{error, error_description}``.

The viewer page advertises the endpoint with ``<link rel="authorization_endpoint">``.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from owncast_core.domain.config import Keys
from owncast_core.domain.indieauth_provider import (
    CONSENT_PATH,
    INVALID_REQUEST,
    PROVIDER_PATH,
    TEMPORARILY_UNAVAILABLE,
)
from owncast_core.errors import OAuthError
from owncast_core.services.config import ConfigService
from owncast_core.services.indieauth_provider import IndieAuthProviderService
from owncast_runners.web import consent_page
from owncast_runners.web.auth import require_admin
from owncast_runners.web.responses import NO_CACHE, json_response

MAX_FORM_BYTES: Final = 16 * 1024
MAX_FORM_FIELDS: Final = 32
FORM_TYPE: Final = "application/x-www-form-urlencoded"


CROSS_SITE: Final = "cross-site request refused"
NOT_A_DOCUMENT: Final = "the consent page can only be opened as a page, not embedded or fetched"
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


def oauth_error(exc: OAuthError, *, status: int | None = None) -> Response:
    """``{error, error_description}`` with ``status`` (by default 429 for
    ``temporarily_unavailable``, with ``Retry-After``, else 400), never cached."""
    status = status or (429 if exc.error == TEMPORARILY_UNAVAILABLE else 400)
    headers = {**NO_CACHE, "Retry-After": "60"} if status == 429 else NO_CACHE
    return json_response({"error": exc.error, "error_description": exc.description}, status=status, headers=headers)


async def read_form(request: Request) -> dict[str, str]:
    """The urlencoded body's fields (a repeated name keeps its first value); ``OAuthError`` for
    another content type, a body over ``MAX_FORM_BYTES``, or bytes that are not UTF-8."""
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind != FORM_TYPE:
        raise OAuthError(INVALID_REQUEST, f"the body must be {FORM_TYPE}")
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                raise OAuthError(INVALID_REQUEST, "the body is too large")
    except ClientDisconnect as exc:
        raise OAuthError(INVALID_REQUEST, "the body was cut short") from exc
    try:
        pairs = parse_qsl(bytes(body).decode("utf-8"), keep_blank_values=True, errors="strict",
                          max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError) as exc:
        raise OAuthError(INVALID_REQUEST, "the body is not UTF-8 form data of at most 32 fields") from exc
    form: dict[str, str] = {}
    for name, value in pairs:
        form.setdefault(name, value)
    return form


def _origin(url: str) -> tuple[str, str, int] | None:
    """``url``'s (scheme, host, port), lower case and the port made explicit; ``None`` for
    anything that is not an http(s) URL with a host (``null`` included)."""
    try:
        parts = urlsplit(url.strip())
        scheme, host = parts.scheme.lower(), (parts.hostname or "").lower().rstrip(".")
        port = parts.port
    except ValueError:
        return None
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return scheme, host, port or _DEFAULT_PORTS[scheme]


def is_cross_site(request: Request, server_url: str) -> bool:
    """True when the browser says ``request`` comes from another site: ``Sec-Fetch-Site`` other
    than ``same-origin``; an ``Origin`` (``null`` included) that is neither the configured
    ``server_url``'s nor the one this request was addressed to (scheme and ``Host``); without
    an ``Origin``, a ``Referer`` of another origin. A request with none of these headers (not a
    current browser) is not refused here: the one-time consent token is what guards it."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site.strip().lower() != "same-origin":
        return True
    ours = {_origin(server_url), _origin(str(request.url))} - {None}
    origin = request.headers.get("origin")
    if origin is not None:
        return _origin(origin) not in ours
    referer = request.headers.get("referer")
    return referer is not None and _origin(referer) not in ours


def routes(*, provider: IndieAuthProviderService, config: ConfigService) -> list[BaseRoute]:
    @require_admin(config)
    async def ask(request: Request) -> Response:
        query = {name: request.query_params.get(name, "") for name in request.query_params}
        dest = request.headers.get("sec-fetch-dest")
        if dest is not None and dest.strip().lower() != "document":
            return oauth_error(OAuthError(INVALID_REQUEST, NOT_A_DOCUMENT), status=403)
        try:
            prompt = provider.request_consent(query)
        except OAuthError as exc:
            return oauth_error(exc)
        return HTMLResponse(consent_page.render(prompt), headers=consent_page.CONSENT_HEADERS)

    @require_admin(config)
    async def consent(request: Request) -> Response:
        if is_cross_site(request, config.string(Keys.SERVER_URL)):
            return oauth_error(OAuthError(INVALID_REQUEST, CROSS_SITE), status=403)
        try:
            form = await read_form(request)
            decision = form.get(consent_page.DECISION_FIELD)
            if decision not in (consent_page.ALLOW, consent_page.DENY):
                raise OAuthError(INVALID_REQUEST, "decision must be allow or deny")
            location = provider.decide(form.get(consent_page.TOKEN_FIELD, ""), allow=decision == consent_page.ALLOW)
        except OAuthError as exc:
            return oauth_error(exc)
        # 303: the browser follows with a GET, so the form (and its token) is not posted on.
        return RedirectResponse(location, status_code=303, headers=NO_CACHE)

    async def redeem(request: Request) -> Response:
        try:
            profile = provider.redeem(await read_form(request))
        except OAuthError as exc:
            return oauth_error(exc)
        return json_response(profile.to_json(), headers=NO_CACHE)

    async def endpoint(request: Request) -> Response:
        if request.method == "GET":
            return await ask(request)
        if request.method == "POST":
            return await redeem(request)
        return Response(status_code=405, headers={"Allow": "GET, POST"})

    return [
        Route(PROVIDER_PATH, endpoint, methods=["GET", "POST"]),
        Route(CONSENT_PATH, consent, methods=["POST"]),
    ]
