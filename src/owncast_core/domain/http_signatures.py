"""HTTP Signatures as the Fediverse uses them (draft-cavage-http-signatures-12, ``rsa-sha256``).

Pure text work; the RSA itself is the ``FederationCrypto`` port's. A signed request carries
``Signature: keyId="...",algorithm="rsa-sha256",headers="(request-target) host date digest",
signature="<base64>"`` where the signature covers the *signing string*: one ``name: value`` line
per listed header, ``(request-target)`` being ``<method lower> <path?query>``. A body is bound
by ``Digest: SHA-256=<base64 of its SHA-256>`` (RFC 3230).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Final
from urllib.parse import urlsplit

REQUEST_TARGET: Final = "(request-target)"
ALGORITHMS: Final = frozenset({"rsa-sha256", "hs2019"})  # hs2019: the algorithm is the key's (RSA here)
_PARAM = re.compile(r'\s*([a-zA-Z]+)\s*=\s*"([^"]*)"\s*(?:,|$)')


@dataclass(frozen=True, slots=True)
class SignatureParams:
    key_id: str
    algorithm: str
    headers: tuple[str, ...]
    signature: bytes


def parse_signature(value: str) -> SignatureParams:
    """Read a ``Signature`` header; raises ``ValueError`` saying what is wrong."""
    params: dict[str, str] = {}
    position = 0
    while position < len(value):
        match = _PARAM.match(value, position)
        if match is None:
            raise ValueError("the Signature header is malformed")
        params[match.group(1).lower()] = match.group(2)
        position = match.end()
    key_id, signature = params.get("keyid"), params.get("signature")
    if not key_id or not signature:
        raise ValueError("the Signature header needs keyId and signature")
    algorithm = params.get("algorithm", "hs2019").lower()
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unsupported signature algorithm {algorithm}")
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("the signature is not base64") from exc
    names = tuple(h.lower() for h in params.get("headers", "date").split())
    return SignatureParams(key_id=key_id, algorithm=algorithm, headers=names, signature=raw)


def signing_string(names: tuple[str, ...], *, method: str, target: str, headers: Mapping[str, str]) -> bytes:
    """The text a signature covers; ``headers`` keys are lower-case. ``ValueError`` if a listed
    header is absent."""
    lines = []
    for name in names:
        if name == REQUEST_TARGET:
            lines.append(f"{REQUEST_TARGET}: {method.lower()} {target}")
            continue
        if name not in headers:
            raise ValueError(f"the signed header {name} is missing")
        lines.append(f"{name}: {headers[name].strip()}")
    return "\n".join(lines).encode()


def digest(body: bytes) -> str:
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def digest_matches(header: str, body: bytes) -> bool:
    """The ``Digest`` header holds a SHA-256 equal to the body's (other algorithms are ignored)."""
    expected = digest(body).split("=", 1)[1]
    for part in header.split(","):
        algorithm, _, value = part.strip().partition("=")
        if algorithm.lower() == "sha-256" and hmac.compare_digest(value.strip(), expected):
            return True
    return False


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def parse_http_date(value: str) -> datetime:
    """``ValueError`` for anything but an RFC 7231 date."""
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError) as exc:
        raise ValueError("the Date header is not an HTTP date") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def sign_request(
    method: str,
    url: str,
    *,
    key_id: str,
    sign: Callable[[bytes], bytes],
    now: datetime,
    body: bytes | None = None,
    accept: str = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
) -> dict[str, str]:
    """The headers of a signed request (Owncast signs ``(request-target) host date`` plus
    ``digest`` when there is a body); ``sign`` is the private key's signing function."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += f"?{parts.query}"
    headers = {"host": parts.netloc, "date": http_date(now), "accept": accept}
    names: tuple[str, ...] = (REQUEST_TARGET, "host", "date")
    if body is not None:
        headers["digest"] = digest(body)
        headers["content-type"] = "application/activity+json"
        names += ("digest",)
    text = signing_string(names, method=method, target=target, headers=headers)
    signature = base64.b64encode(sign(text)).decode()
    headers["signature"] = (f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",'
                            f'signature="{signature}"')
    return headers


def sign_response(body: bytes, *, key_id: str, sign: Callable[[bytes], bytes]) -> dict[str, str]:
    """The headers that sign a response body, as Owncast's ``SignResponse`` (go-fed httpsig):
    ``Digest: SHA-256=...`` of the body and a ``Signature`` covering ``digest`` only. A response
    has no ``(request-target)``, and the ``Date`` the HTTP server adds as it writes the answer
    is not signed (a verifier reads the covered names from ``headers=``)."""
    headers = {"digest": digest(body)}
    text = signing_string(("digest",), method="", target="", headers=headers)
    signature = base64.b64encode(sign(text)).decode()
    headers["signature"] = f'keyId="{key_id}",algorithm="rsa-sha256",headers="digest",signature="{signature}"'
    return headers
