"""A stub Fediverse server for federation tests: a Starlette app (served on 127.0.0.1 by the
test) with its own RSA key, serving actor documents and recording what reaches its inboxes.

Its HTTP Signature code is written here from draft-cavage-http-signatures-12 with
``cryptography`` and deliberately shares nothing with owncast-py's own, so a test checks our
signatures against an independent implementation.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FediverseStub:
    """``host`` is how actor IRIs name this server (``127.0.0.1`` or ``localhost``). It also
    answers WebFinger for ``acct:<name>@<its host:port>`` (served over http). Every POST to an
    inbox is recorded in ``inbox``; ``answers`` scripts their statuses (first one first; 202 once
    it is empty)."""

    port: int = 0
    key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(public_exponent=65537,
                                                                                    key_size=2048))
    inbox: list[Delivery] = field(default_factory=list)
    fetches: list[Delivery] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def public_pem(self) -> str:
        return self.key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def actor_iri(self, name: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/users/{name}"

    def app(self) -> Starlette:
        async def actor(request: Request) -> Response:
            name = request.path_params["name"]
            host = (request.headers.get("host") or "127.0.0.1").split(":")[0]
            self.fetches.append(Delivery(request.url.path, dict(request.headers), b""))
            iri = self.actor_iri(name, host)
            return JSONResponse({
                "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                "id": iri, "type": "Person", "preferredUsername": name, "name": name.title(),
                "inbox": f"{iri}/inbox", "endpoints": {"sharedInbox": f"http://{host}:{self.port}/inbox"},
                "icon": {"type": "Image", "url": f"http://{host}:{self.port}/{name}.png"},
                "publicKey": {"id": f"{iri}#main-key", "owner": iri, "publicKeyPem": self.public_pem()},
            }, media_type="application/activity+json")

        async def inbox(request: Request) -> Response:
            self.inbox.append(Delivery(request.url.path, {k.lower(): v for k, v in request.headers.items()},
                                       await request.body()))
            self.arrived.set()
            return Response(status_code=self.answers.pop(0) if self.answers else 202)

        async def webfinger(request: Request) -> Response:
            resource = request.query_params.get("resource", "")
            name, _, host = resource.removeprefix("acct:").partition("@")
            self.fetches.append(Delivery(str(request.url), dict(request.headers), b""))
            if not resource.startswith("acct:") or not name or host != request.headers.get("host"):
                return Response(status_code=404)
            iri = self.actor_iri(name, host.split(":")[0])
            return JSONResponse({"subject": resource, "aliases": [iri], "links": [
                {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": iri},
                {"rel": "self", "type": "application/activity+json", "href": iri},
                {"rel": "http://ostatus.org/schema/1.0/subscribe",
                 "template": f"http://{host}/authorize_interaction?uri={{uri}}"}]},
                media_type="application/jrd+json")

        return Starlette(routes=[Route("/users/{name}", actor, methods=["GET"]),
                                 Route("/.well-known/webfinger", webfinger, methods=["GET"]),
                                 Route("/users/{name}/inbox", inbox, methods=["POST"]),
                                 Route("/inbox", inbox, methods=["POST"])])  # the shared inbox

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Delivery]:
        async with asyncio.timeout(timeout):
            while len(self.inbox) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return list(self.inbox)

    def sign(self, url: str, body: bytes, *, key_id: str, key: rsa.RSAPrivateKey | None = None,
             digest_of: bytes | None = None, date: str | None = None) -> dict[str, str]:
        """Headers of a signed POST of ``body`` to ``url`` (``digest_of`` lies about the body)."""
        parts = urlsplit(url)
        digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body if digest_of is None else digest_of)
                                               .digest()).decode()
        headers = {"host": parts.netloc, "date": date or formatdate(usegmt=True), "digest": digest,
                   "content-type": "application/activity+json"}
        text = "\n".join([f"(request-target): post {parts.path}", f"host: {headers['host']}",
                          f"date: {headers['date']}", f"digest: {headers['digest']}"])
        signature = (key or self.key).sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
        headers["signature"] = (f'keyId="{key_id}",algorithm="rsa-sha256",headers="(request-target) host date '
                                f'digest",signature="{base64.b64encode(signature).decode()}"')
        return headers


def verify_signed_request(method: str, path: str, headers: dict[str, str], body: bytes | None,
                          public_pem: str) -> dict[str, Any]:
    """Check a request signed by owncast-py; returns the Signature parameters or raises
    ``AssertionError``/``InvalidSignature``."""
    params = {}
    for part in headers["signature"].split(","):
        name, _, value = part.partition("=")
        params[name.strip()] = value.strip().strip('"')
    names = params["headers"].split()
    assert params["algorithm"] == "rsa-sha256"
    assert {"(request-target)", "host", "date"} <= set(names)
    if body is not None:
        assert "digest" in names
        assert headers["digest"] == "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    lines = [f"(request-target): {method.lower()} {path}" if n == "(request-target)" else f"{n}: {headers[n]}"
             for n in names]
    key = serialization.load_pem_public_key(public_pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(base64.b64decode(params["signature"]), "\n".join(lines).encode(), padding.PKCS1v15(),
               hashes.SHA256())
    return params


def verify_signed_response(headers: dict[str, str], body: bytes, public_pem: str) -> dict[str, str]:
    """Check an answer signed by owncast-py as Owncast's ``SignResponse`` does (``headers="digest"``,
    ``Digest`` of the body); returns the Signature parameters or raises."""
    params = {}
    for part in headers["signature"].split(","):
        name, _, value = part.partition("=")
        params[name.strip()] = value.strip().strip('"')
    assert params["algorithm"] == "rsa-sha256" and params["headers"] == "digest"
    assert headers["digest"] == "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    key = serialization.load_pem_public_key(public_pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(base64.b64decode(params["signature"]), f"digest: {headers['digest']}".encode(), padding.PKCS1v15(),
               hashes.SHA256())
    return params


__all__ = ["Delivery", "FediverseStub", "InvalidSignature", "verify_signed_request", "verify_signed_response"]
