"""Errors the core raises and adapters translate their library errors into.

Adapters raise these (``raise ... from exc``) instead of returning ``None`` for a failure.
"""

from __future__ import annotations


class OwncastError(Exception):
    """Base class of every error owncast-py raises on purpose."""


class ValidationError(OwncastError, ValueError):
    """Input that breaks a rule; the message is safe to show to the user."""


class NotFoundError(OwncastError, LookupError):
    """The thing asked for does not exist (or is not served here)."""


class StorageError(OwncastError):
    """A repository or storage backend failed (database locked, disk full, S3 unreachable)."""


class DiskFullError(StorageError):
    """No space left on the device holding the data directory."""


class ArchiveUnavailable(StorageError):
    """What is asked for is kept in an archive that is not reachable with the current settings
    (S3 storage turned off, or pointed at another bucket): a conflict with the configuration the
    admin can resolve, not a server failure."""


class StreamKeyRejected(OwncastError):
    """A publisher used a stream key that is not configured."""


class StreamAlreadyLive(OwncastError):
    """A second publisher tried to go live while one is live."""


class TranscoderError(OwncastError):
    """The transcoder could not start or failed."""


class TranscoderGone(TranscoderError):
    """The transcoder stopped reading its input (it exited or crashed)."""


class AuthenticationError(OwncastError):
    """Missing or wrong credentials."""


class PermissionDenied(OwncastError):
    """Authenticated, but not allowed to do this."""


class DeliveryFailed(OwncastError):
    """An outbound request (webhook) got no answer: refused, unreachable, timed out. Retryable."""


class DeliveryRefused(OwncastError):
    """An outbound request was not sent because its target is not allowed (e.g. a private address)."""


class SubscriptionGone(DeliveryFailed):
    """A push service answered that a subscription no longer exists (HTTP 404 or 410): forget it."""


class FederationDisabled(OwncastError):
    """A federation endpoint was asked while federation is off (Owncast answers 405)."""


class SignatureRejected(AuthenticationError):
    """An inbound ActivityPub request's HTTP Signature is missing, malformed or does not verify."""


class Overloaded(OwncastError):
    """A bounded queue is full; the caller may retry later."""


class OAuthError(OwncastError):
    """An OAuth 2.0 / IndieAuth error answer (RFC 6749 §5.2): ``error`` is the code
    (``invalid_request``, ``invalid_client``, ``temporarily_unavailable``, ...) and the message
    (``description``) its ``error_description``, safe to show to the client."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


class ImportSourceError(OwncastError):
    """The data to import (an Owncast data directory) is missing, unreadable or not what it
    should be; the message is one line a streamer can act on."""
