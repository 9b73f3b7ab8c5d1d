"""Federation routes (reference §1.5-1.6, §6): WebFinger, host-meta, NodeInfo, the Mastodon-style
instance document, the actor with its collections and posted objects, the signed inbox, the
public follower list and the admin follower/federation routes.

Every federation route answers 405 while federation is off (``FederationDisabled``), 404 for an
unknown account or without a server URL, 400 for a malformed query. The actor documents and
objects answer a non-ActivityPub ``Accept`` (a browser) with a 307 to the web page, and are
HTTP-signed with the account's key (``Digest`` + ``Signature``, as Owncast). The inbox
maps every refusal to 400/401/403/503 (see ``inbox``), never to a 500.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from owncast_core.domain import jsontext
from owncast_core.domain.activitypub import ACTIVITY_JSON, JRD_JSON, is_activitypub_accept
from owncast_core.errors import (
    FederationDisabled,
    NotFoundError,
    Overloaded,
    OwncastError,
    PermissionDenied,
    SignatureRejected,
    StorageError,
    ValidationError,
)
from owncast_core.services.config import ConfigService
from owncast_core.services.federation import FederationService
from owncast_runners.web.auth import require_admin
from owncast_runners.web.bodies import posted_object as posted_object_body
from owncast_runners.web.responses import CORS_ANY, bad_request, simple

MAX_INBOX_BODY = 256 * 1024
log = logging.getLogger("owncast.federation")

Endpoint = Callable[[Request], Awaitable[Response]]


def signed_activity_json(federation: FederationService, payload: Mapping[str, Any]) -> Response:
    """The document as ``application/activity+json``, HTTP-signed with the account's key."""
    document = federation.signed_document(payload)
    return Response(document.body, media_type=ACTIVITY_JSON, headers=document.headers)


def federation_errors(endpoint: Endpoint) -> Endpoint:
    """405 while federation is off, 404 for what is not here, 400 for a malformed request."""

    @functools.wraps(endpoint)
    async def wrapped(request: Request) -> Response:
        try:
            return await endpoint(request)
        except FederationDisabled:
            return PlainTextResponse("federation is disabled", status_code=405)
        except NotFoundError as exc:
            return PlainTextResponse(str(exc) or "not found", status_code=404)
        except ValidationError as exc:
            return PlainTextResponse(str(exc), status_code=400)

    return wrapped


def pagination(request: Request) -> tuple[int, int] | Response:
    """``?offset=`` (default 0) and ``?limit=`` (default 50); non-integers -> 400 (§1.1)."""
    try:
        offset = int(request.query_params.get("offset", "0"))
        limit = int(request.query_params.get("limit", "50"))
    except ValueError:
        return bad_request("offset and limit must be integers")
    return max(0, offset), max(0, min(limit, 1000))


async def read_limited(request: Request, limit: int) -> bytes | None:
    """The body, or ``None`` when it is longer than ``limit`` bytes (stops reading there)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def routes(*, federation: FederationService, config: ConfigService) -> list[BaseRoute]:
    @federation_errors
    async def webfinger(request: Request) -> Response:
        document = federation.webfinger(request.query_params.get("resource"))
        return JSONResponse(document, media_type=JRD_JSON, headers=CORS_ANY)

    @federation_errors
    async def host_meta(request: Request) -> Response:
        return Response(federation.host_meta(), media_type="application/xrd+xml", headers=CORS_ANY)

    @federation_errors
    async def nodeinfo_links(request: Request) -> Response:
        return JSONResponse(federation.nodeinfo_links(), headers=CORS_ANY)

    @federation_errors
    async def nodeinfo(request: Request) -> Response:
        return JSONResponse(await federation.nodeinfo(), headers=CORS_ANY, media_type=(
            'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.0#"'))

    @federation_errors
    async def x_nodeinfo2(request: Request) -> Response:
        return JSONResponse(await federation.x_nodeinfo2(), headers=CORS_ANY)

    @federation_errors
    async def instance(request: Request) -> Response:
        return JSONResponse(await federation.instance(), headers=CORS_ANY)

    def for_activitypub(endpoint: Endpoint) -> Endpoint:
        """405 while off; a browser (no ActivityPub ``Accept``) is sent to the web page."""

        @federation_errors
        @functools.wraps(endpoint)
        async def wrapped(request: Request) -> Response:
            federation.actor()  # FederationDisabled / no server URL first
            if not is_activitypub_accept(request.headers.get("accept")):
                return RedirectResponse("/", status_code=307)
            return await endpoint(request)

        return wrapped

    @for_activitypub
    async def actor(request: Request) -> Response:
        return signed_activity_json(federation, federation.actor_document(request.path_params["username"]))

    @for_activitypub
    async def followers(request: Request) -> Response:
        return signed_activity_json(federation, await federation.followers_collection(
            request.path_params["username"], request.query_params.get("page")))

    @for_activitypub
    async def outbox(request: Request) -> Response:
        return signed_activity_json(federation, await federation.outbox_collection(
            request.path_params["username"], request.query_params.get("page")))

    @for_activitypub
    async def posted_object(request: Request) -> Response:
        return signed_activity_json(federation, await federation.object_document(request.path_params["object_id"]))

    @federation_errors
    async def following(request: Request) -> Response:
        federation.actor()
        raise NotFoundError("not found")

    async def public_followers(request: Request) -> Response:
        page = pagination(request)
        if isinstance(page, Response):
            return page
        return JSONResponse(await federation.followers_page(*page), headers=CORS_ANY)

    async def inbox(request: Request) -> Response:
        """A signed activity from another server: checked here (signature, digest, date,
        blocked domains), handled by the inbox worker; 202 once queued."""
        try:
            federation.actor()
        except FederationDisabled:
            return PlainTextResponse("federation is disabled", status_code=405)
        except NotFoundError as exc:
            return PlainTextResponse(str(exc), status_code=404)
        body = await read_limited(request, MAX_INBOX_BODY)
        if body is None:
            return PlainTextResponse(f"the body is larger than {MAX_INBOX_BODY} bytes", status_code=400)
        target = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
        if request.url.query:
            target += f"?{request.url.query}"
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            await federation.receive(request.path_params["username"], method=request.method, target=target,
                                     headers=headers, body=body)
        except SignatureRejected as exc:
            return PlainTextResponse(f"signature rejected: {exc}", status_code=401)
        except PermissionDenied as exc:
            return PlainTextResponse(f"forbidden: {exc}", status_code=403)
        except NotFoundError as exc:
            return PlainTextResponse(str(exc), status_code=404)
        except Overloaded as exc:
            return PlainTextResponse(str(exc), status_code=503, headers={"Retry-After": "30"})
        except (ValidationError, FederationDisabled) as exc:
            return PlainTextResponse(str(exc), status_code=400)
        except OwncastError as exc:
            return PlainTextResponse(f"could not take the activity: {exc}", status_code=400)
        except Exception:  # a bug must not become a 500 for a remote server: logged, refused
            log.exception("could not take an activity for the inbox")
            return PlainTextResponse("could not take the activity", status_code=400)
        return PlainTextResponse("accepted", status_code=202)

    admin = require_admin(config)

    def paged(load: Callable[[int, int], Awaitable[dict[str, Any]]]) -> Endpoint:
        """An admin route answering ``load(offset, limit)`` for ``?offset=&limit=``."""

        @admin
        async def endpoint(request: Request) -> Response:
            page = pagination(request)
            if isinstance(page, Response):
                return page
            return JSONResponse(await load(*page))

        return endpoint

    admin_followers = paged(federation.followers_page)
    admin_actions = paged(federation.actions_page)
    admin_deliveries = paged(federation.delivery_status)  # owncast-py's own: the outbound delivery queue

    @admin
    async def admin_retry_domain(request: Request) -> Response:
        """``POST /api/admin/federation/deliveries/retry-domain`` ``{domain}`` (owncast-py's own):
        forget that a server was failing (paused or unavailable) and send to it again now;
        400 without a domain or for one that is neither paused nor unavailable."""
        body = await posted_object_body(request, "domain")
        if isinstance(body, Response):
            return body
        try:
            domain = await federation.retry_domain(body.get("domain"))
        except (ValidationError, NotFoundError) as exc:
            return simple(False, str(exc))
        except StorageError as exc:
            return simple(False, f"unable to update the server's state: {exc}")
        return simple(True, f"deliveries to {domain} resume now")

    @admin
    async def admin_pending(request: Request) -> Response:
        return JSONResponse([f.to_json() for f in await federation.followers_in("pending")])

    @admin
    async def admin_blocked(request: Request) -> Response:
        return JSONResponse([f.to_json() for f in await federation.followers_in("blocked")])

    @admin
    async def admin_send(request: Request) -> Response:
        body = await posted_object_body(request, "value")
        if isinstance(body, Response):
            return body
        try:
            await federation.send_note(body.get("value"))
        except FederationDisabled:
            return simple(False, "federation is disabled")
        except (ValidationError, NotFoundError) as exc:
            return simple(False, str(exc))
        except StorageError as exc:
            return simple(False, f"unable to save the post: {exc}")
        return simple(True, "sent")

    async def remote_follow(request: Request) -> Response:
        """``POST /api/remotefollow`` ``{account}`` -> ``{redirectUrl}`` (reference §1.2)."""
        try:
            body = jsontext.loads(await request.body())
        except ValueError:
            return simple(False, "unable to parse request")
        account = body.get("account") if isinstance(body, dict) else None
        if not account:
            return simple(False, "Remote Fediverse account is required to follow.")
        try:
            url = await federation.remote_follow_url(account)
        except FederationDisabled:
            return simple(False, "this server does not federate: following it from the Fediverse is not possible")
        except (ValidationError, NotFoundError) as exc:
            return simple(False, str(exc))
        return JSONResponse({"redirectUrl": url})

    @admin
    async def admin_approve(request: Request) -> Response:
        body = await posted_object_body(request, "actorIRI and approved")
        if isinstance(body, Response):
            return body
        try:
            await federation.approve(body.get("actorIRI"), body.get("approved"))
        except (ValidationError, NotFoundError, FederationDisabled) as exc:
            return simple(False, str(exc) or "federation is disabled")
        except StorageError as exc:
            return simple(False, f"unable to update the follower: {exc}")
        return simple(True, "follower updated")

    return [
        Route("/federation/user/{username}/inbox", inbox, methods=["POST"]),
        Route("/api/admin/followers", admin_followers, methods=["GET"]),
        Route("/api/admin/followers/pending", admin_pending, methods=["GET"]),
        Route("/api/admin/followers/blocked", admin_blocked, methods=["GET"]),
        Route("/api/admin/followers/approve", admin_approve, methods=["GET", "POST"]),
        Route("/api/admin/federation/send", admin_send, methods=["GET", "POST"]),
        Route("/api/admin/federation/actions", admin_actions, methods=["GET"]),
        Route("/api/admin/federation/deliveries", admin_deliveries, methods=["GET"]),
        Route("/api/admin/federation/deliveries/retry-domain", admin_retry_domain, methods=["POST"]),
        Route("/.well-known/webfinger", webfinger, methods=["GET"]),
        Route("/.well-known/host-meta", host_meta, methods=["GET"]),
        Route("/.well-known/nodeinfo", nodeinfo_links, methods=["GET"]),
        Route("/.well-known/x-nodeinfo2", x_nodeinfo2, methods=["GET"]),
        Route("/nodeinfo/2.0", nodeinfo, methods=["GET"]),
        Route("/api/v1/instance", instance, methods=["GET"]),
        Route("/federation/user/{username}", actor, methods=["GET"]),
        Route("/federation/user/{username}/followers", followers, methods=["GET"]),
        Route("/federation/user/{username}/outbox", outbox, methods=["GET"]),
        Route("/federation/user/{username}/following", following, methods=["GET"]),
        Route("/federation/{object_id}", posted_object, methods=["GET"]),
        Route("/api/followers", public_followers, methods=["GET"]),
        Route("/api/remotefollow", remote_follow, methods=["POST"]),
    ]
