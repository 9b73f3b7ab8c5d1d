"""A stub IndieAuth website + authorization server (a Starlette app the test serves on
127.0.0.1 at a free port). Its PKCE check is written here with ``hashlib`` and shares nothing
with owncast-py's, so a test checks our verifier against an independent implementation.

Pages: ``/`` (HTML ``<link rel="authorization_endpoint" href="/auth">``), ``/header`` (the
endpoint in the HTTP ``Link`` header only), ``/meta`` (an ``indieauth-metadata`` document naming
``/auth2``), ``/moved`` (302 to ``/``), ``/plain`` (no endpoint). ``GET /auth`` (and ``/auth2``)
approves at once, like a signed-in user clicking "allow", and redirects to ``redirect_uri`` with
``code`` and ``state``; ``POST`` redeems a code once, answering ``{"me", "profile"}`` or an OAuth
error. ``me_override`` makes it vouch for another ``me`` (a lying or confused server).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

PAGE = '<!doctype html><html><head><title>Alice</title>{links}</head><body><h1>Alice</h1></body></html>'


@dataclass
class IndieAuthStub:
    port: int = 0
    me_override: str | None = None
    grants: dict[str, dict[str, str]] = field(default_factory=dict)
    authorizations: list[dict[str, str]] = field(default_factory=list)
    redemptions: list[dict[str, str]] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app(self) -> Starlette:
        async def home(request: Request) -> Response:
            return HTMLResponse(PAGE.format(links='<link rel="me authorization_endpoint" href="/auth">'))

        async def header(request: Request) -> Response:
            return HTMLResponse(PAGE.format(links=""), headers={
                "Link": f'<{self.base}/elsewhere>; rel="me", <{self.base}/auth>; rel="authorization_endpoint"'})

        async def meta(request: Request) -> Response:
            return HTMLResponse(PAGE.format(
                links='<link rel="authorization_endpoint" href="/not-this">'
                      '<link rel="indieauth-metadata" href="/.well-known/oauth-authorization-server">'))

        async def metadata(request: Request) -> Response:
            return JSONResponse({"issuer": f"{self.base}/", "authorization_endpoint": f"{self.base}/auth2",
                                 "token_endpoint": f"{self.base}/token", "code_challenge_methods_supported": ["S256"]})

        async def moved(request: Request) -> Response:
            return RedirectResponse("/", status_code=302)

        async def plain(request: Request) -> Response:
            return HTMLResponse(PAGE.format(links='<link rel="stylesheet" href="/a.css">'))

        async def auth(request: Request) -> Response:
            if request.method == "GET":
                return self._approve(dict(request.query_params))
            return self._redeem(dict(parse_qsl((await request.body()).decode(), keep_blank_values=True)))

        return Starlette(routes=[
            Route("/", home), Route("/header", header), Route("/meta", meta), Route("/moved", moved),
            Route("/plain", plain), Route("/.well-known/oauth-authorization-server", metadata),
            Route("/auth", auth, methods=["GET", "POST"]), Route("/auth2", auth, methods=["GET", "POST"]),
        ])

    def _approve(self, query: dict[str, str]) -> Response:
        self.authorizations.append(query)
        required = ("response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method",
                    "me")
        if any(not query.get(k) for k in required) or query["code_challenge_method"] != "S256" \
                or query["response_type"] != "code":
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        code = secrets.token_urlsafe(16)
        self.grants[code] = {"me": self.me_override or query["me"], "client_id": query["client_id"],
                             "redirect_uri": query["redirect_uri"], "challenge": query["code_challenge"]}
        separator = "&" if "?" in query["redirect_uri"] else "?"
        return RedirectResponse(query["redirect_uri"] + separator + urlencode({"code": code, "state": query["state"]}),
                                status_code=302)

    def _redeem(self, form: dict[str, str]) -> Response:
        self.redemptions.append(form)
        grant = self.grants.pop(form.get("code", ""), None)
        if grant is None or form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "invalid_grant", "error_description": "unknown code"}, status_code=400)
        if form.get("client_id") != grant["client_id"] or form.get("redirect_uri") != grant["redirect_uri"]:
            return JSONResponse({"error": "invalid_grant", "error_description": "client mismatch"}, status_code=400)
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["challenge"]:
            return JSONResponse({"error": "invalid_grant", "error_description": "PKCE verifier mismatch"},
                                status_code=400)
        profile: dict[str, Any] = {"name": "Alice", "url": grant["me"]}
        return JSONResponse({"me": grant["me"], "profile": profile})
