"""Pure validation rules for the admin configuration setters (``POST /api/admin/config/<name>``).

Each ``parse_*`` function takes the ``value`` of the request body (already JSON-decoded) and
returns the JSON value to store, normalised to Owncast's stored shape, or raises
``ValidationError`` whose message is the text the API answers with (Owncast's wording where
Owncast has one). Nothing here does I/O.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from owncast_core.domain.geo import is_private_ip
from owncast_core.domain.numbers import finite_number
from owncast_core.domain.stream import StreamOutputVariant, latency_level
from owncast_core.errors import ValidationError

Parser = Callable[[Any], Any]

MAX_LOGO_BYTES = 10 * 1024 * 1024


def parse_string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError("value must be a string")
    return value


def parse_trimmed_string(value: Any) -> str:
    """Owncast trims the welcome and offline messages."""
    return parse_string(value).strip()


def parse_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValidationError("value must be true or false")
    return value


def parse_nonempty_string(value: Any) -> str:
    text = parse_string(value)
    if not text:
        raise ValidationError("value must not be empty")
    return text


def _number(value: Any, message: str) -> float:
    number = finite_number(value)
    if number is None:
        raise ValidationError(message)
    return number


def parse_port(value: Any) -> int:
    """A TCP port number 1..65535 (Go decodes JSON numbers as float64; integral values only)."""
    port = _number(value, "Invalid type or value, port must be a number")
    if port < 1 or port > 65535 or port != int(port):
        raise ValidationError("Port number must be between 1 and 65535")
    return int(port)


def parse_ip_address(value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError("Invalid type or value, IP address must be a string")
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise ValidationError("Invalid IP address") from None


def parse_latency_level(value: Any) -> int:
    level = _number(value, "error setting stream latency: value must be a number")
    if level != int(level):
        raise ValidationError("error setting stream latency: latency level must be 0-4")
    try:
        return latency_level(int(level)).level
    except ValueError:
        raise ValidationError("error setting stream latency: latency level must be 0-4") from None


def _http_url(text: str) -> tuple[str, str]:
    """(scheme, hostname) of an absolute http(s) URL; raises ``ValueError`` otherwise."""
    parts = urlsplit(text)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError(text)
    parts.port  # noqa: B018 - raises ValueError for a malformed port
    return parts.scheme, host


def is_valid_url(text: str) -> bool:
    """True for an absolute http(s) URL with a host."""
    try:
        _http_url(text)
    except ValueError:
        return False
    return True


def parse_server_url(value: Any) -> str:
    """The public URL of this server: must be http(s) with a host, not a private IP; no trailing /."""
    if not isinstance(value, str):
        raise ValidationError("could not read server url")
    try:
        _, host = _http_url(value.strip())
    except ValueError:
        raise ValidationError("server url value invalid") from None
    if is_private_ip(host):
        raise ValidationError("Server URL cannot be private")
    return value.strip().rstrip("/")


def parse_optional_url(value: Any) -> str:
    """Empty, or an absolute http(s) URL (the video serving endpoint)."""
    text = parse_string(value).strip()
    if text and not is_valid_url(text):
        raise ValidationError("value must be an http(s) URL")
    return text.rstrip("/")


def _list(value: Any, message: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValidationError(message)
    return value


def _object(value: Any, message: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValidationError(message)
    return value


def parse_string_list(value: Any) -> list[str]:
    items = _list(value, "value must be a list of strings")
    if not all(isinstance(item, str) for item in items):
        raise ValidationError("value must be a list of strings")
    return list(items)


def parse_tags(value: Any) -> list[str]:
    """Tags with leading ``#`` removed (Owncast stores them comma-joined, so commas are refused)."""
    tags = [tag.lstrip("#").strip() for tag in parse_string_list(value)]
    if any("," in tag for tag in tags):
        raise ValidationError("tags must not contain commas")
    return [tag for tag in tags if tag]


def parse_stream_keys(value: Any) -> list[dict[str, str]]:
    if value is None:
        raise ValidationError("must provide at least one valid stream key")
    items = _list(value, "unable to update stream keys with provided values")
    if not items:
        raise ValidationError("must provide at least one valid stream key")
    keys = []
    for item in items:
        entry = _object(item, "unable to update stream keys with provided values")
        key, comment = entry.get("key", ""), entry.get("comment", "")
        if not isinstance(key, str) or not isinstance(comment, str):
            raise ValidationError("unable to update stream keys with provided values")
        if not key:
            raise ValidationError("stream key cannot be empty")
        keys.append({"key": key, "comment": comment})
    return keys


def parse_single_stream_key(value: Any) -> list[dict[str, str]]:
    """Owncast v0.1's ``/api/admin/config/key``: one key replaces the list."""
    return parse_stream_keys([{"key": parse_string(value), "comment": ""}])


def parse_variants(value: Any) -> list[dict[str, Any]]:
    message = "unable to update video config with provided values"
    items = _list(value, message)
    if not items:
        raise ValidationError(f"{message}: at least one output variant is required")
    variants = []
    for item in items:
        try:
            variant = StreamOutputVariant.from_json(_object(item, message))
        except ValueError as exc:
            raise ValidationError(f"{message} {exc}") from None
        if variant.framerate > 240:
            raise ValidationError(f"{message} framerate must be at most 240")
        stored = variant.to_json()
        stored["framerate"] = variant.framerate  # keep what was asked (0 means the default)
        variants.append(stored)
    return variants


def _fields(entry: dict[str, Any], message: str, *, strings: tuple[str, ...] = (),
            flags: tuple[str, ...] = ()) -> dict[str, Any]:
    """The named fields of ``entry``: strings (missing or null -> ``""``) and flags (missing ->
    ``False``); any other type raises ``ValidationError(message)``."""
    out: dict[str, Any] = {}
    for name in strings:
        text = entry.get(name) or ""
        if not isinstance(text, str):
            raise ValidationError(message)
        out[name] = text
    for name in flags:
        flag = entry.get(name, False)
        if not isinstance(flag, bool):
            raise ValidationError(message)
        out[name] = flag
    return out


def _omit_empty(values: dict[str, Any], *keep: str) -> dict[str, Any]:
    """Go's ``omitempty`` for string fields (``keep`` names stay even when empty)."""
    return {k: v for k, v in values.items() if k in keep or v != ""}


def parse_s3(value: Any) -> dict[str, Any]:
    """Owncast's ``models.S3`` as stored: strings omitted when empty, the two flags always there."""
    message = "unable to update s3 config with provided values"
    config = _fields(_object(value, message), message, flags=("enabled", "forcePathStyle"),
                     strings=("endpoint", "accessKey", "secret", "bucket", "region", "acl", "pathPrefix",
                              "servingEndpoint"))
    out = _omit_empty({k: v.strip() if isinstance(v, str) else v for k, v in config.items()})
    if out["enabled"]:
        if out.get("servingEndpoint") and not is_valid_url(out["servingEndpoint"]):
            raise ValidationError("s3 servingEndpoint must be a URL")
        if not is_valid_url(out.get("endpoint", "")):
            raise ValidationError("s3 support requires an endpoint")
        if not out.get("accessKey") or not out.get("secret"):
            raise ValidationError("s3 support requires an access key and secret")
        if not out.get("region"):
            raise ValidationError("s3 support requires a region and endpoint")
        if not out.get("bucket"):
            raise ValidationError("s3 support requires a bucket created for storing public video segments")
    return out


def parse_social_handles(value: Any) -> list[dict[str, str]]:
    message = "unable to update social handles with provided values"
    handles = []
    for item in _list(value, message):
        handle = _omit_empty(_fields(_object(item, message), message, strings=("platform", "url", "icon")))
        if not handle.get("platform") or not handle.get("url"):
            raise ValidationError(f"{message}: platform and url are required")
        url = handle["url"]
        if not (is_valid_url(url) or (url.lower().startswith("mailto:") and len(url) > len("mailto:"))):
            # Shown as a link on the page: javascript:, data: and the like would run there.
            raise ValidationError(f"{message}: url must be an http(s) or mailto: URL, got {url[:60]!r}")
        handles.append(handle)
    return handles


def parse_external_actions(value: Any) -> list[dict[str, Any]]:
    message = "unable to update external actions with provided values"
    actions = []
    for item in _list(value, message):
        action = _fields(_object(item, message), message, flags=("openExternally",),
                         strings=("url", "title", "description", "icon", "color", "html"))
        action = _omit_empty(action, "url", "title", "description", "icon", "color")
        if not action["title"] or not (action["url"] or action.get("html")):
            raise ValidationError(f"{message}: an action needs a title and a url (or html)")
        if action["url"] and not is_valid_url(action["url"]):
            raise ValidationError(f"{message}: url must be an http(s) URL")
        actions.append(action)
    return actions


def parse_appearance(value: Any) -> dict[str, str]:
    if value is None:
        raise ValidationError("value field is required")
    variables = _object(value, "unable to update appearance variable values")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in variables.items()):
        raise ValidationError("unable to update appearance variable values")
    return dict(variables)


def parse_discord(value: Any) -> dict[str, Any]:
    """``models.DiscordConfiguration``: ``webhook``/``goLiveMessage`` omitted when empty."""
    message = "unable to update discord config with provided values"
    config = _fields(_object(value, message), message, flags=("enabled",),
                     strings=("webhook", "goLiveMessage"))
    if config["webhook"] and not is_valid_url(config["webhook"]):
        raise ValidationError(f"{message}: webhook must be an http(s) URL")
    if config["enabled"] and not config["webhook"]:
        raise ValidationError(f"{message}: a webhook URL is required")
    return _omit_empty(config)


def parse_browser_push(value: Any) -> dict[str, Any]:
    """``models.BrowserNotificationConfiguration``: ``goLiveMessage`` omitted when empty."""
    message = "unable to update browser push config with provided values"
    config = _fields(_object(value, message), message, flags=("enabled",), strings=("goLiveMessage",))
    return _omit_empty(config)


@dataclass(frozen=True, slots=True)
class ImageData:
    """A decoded ``data:`` URI image."""

    data: bytes
    extension: str
    content_type: str


_IMAGE_TYPES = {
    "image/png": (".png", (b"\x89PNG\r\n\x1a\n",)),
    "image/jpeg": (".jpeg", (b"\xff\xd8\xff",)),
    "image/gif": (".gif", (b"GIF87a", b"GIF89a")),
    "image/webp": (".webp", (b"RIFF",)),
    "image/svg+xml": (".svg", ()),
}


def decode_image_data_uri(value: Any) -> ImageData:
    """Decode ``data:image/<type>;base64,<data>`` (PNG, JPEG, GIF, WebP or SVG).

    Raster types must start with their format's signature; SVG must look like XML/SVG text.
    """
    if not isinstance(value, str):
        raise ValidationError("unable to find image data")
    header, sep, payload = value.partition(",")
    if not sep:
        raise ValidationError("error splitting base64 image data")
    if len(payload) > MAX_LOGO_BYTES * 4 // 3 + 4:
        raise ValidationError("image is too large (at most 10 MB)")
    kind, _, _ = header.removeprefix("data:").partition(";")
    if not header.startswith("data:") or ";base64" not in header:
        raise ValidationError("error splitting base64 image header")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("invalid base64 image data") from None
    known = _IMAGE_TYPES.get(kind.strip().lower())
    if known is None:
        raise ValidationError("missing or invalid contentType in base64 image")
    extension, signatures = known
    if not data:
        raise ValidationError("image data is empty")
    if signatures and not data.startswith(signatures):
        raise ValidationError("image data does not match its content type")
    if extension == ".svg" and b"<svg" not in data[:4096].lower():
        raise ValidationError("image data does not match its content type")
    return ImageData(data=data, extension=extension, content_type=kind.strip().lower())
