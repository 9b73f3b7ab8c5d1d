"""Admin recording routes (ours: Owncast has no recordings).

- ``GET /api/admin/recordings``: ``[{id, title, startedAt, endedAt, durationSeconds, sizeBytes,
  status}]``, newest first.
- ``GET /api/admin/recordings/{id}/download``: the MP4 as an attachment (``video/mp4``, HTTP
  ranges supported by Starlette's ``FileResponse``, so big files stream and downloads resume);
  for a recording uploaded to the S3 bucket, a 302 redirect to a presigned URL valid for five
  minutes (the bucket answers with the same type and file name).
- ``POST /api/admin/recordings/delete`` ``{"id": ...}``: deletes the files and the entry.

A malformed id answers 400 ``{"error": "invalid recording id"}``, an unknown one (or one not
ready for download) 404 ``{"error": ...}``. Every route needs the admin credentials.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from owncast_core.domain.recordings import download_name
from owncast_core.errors import ArchiveUnavailable, NotFoundError, OwncastError, StorageError, ValidationError
from owncast_core.services.config import ConfigService
from owncast_core.services.recordings import RecordingService
from owncast_runners.web.auth import note_change, require_admin
from owncast_runners.web.bodies import posted_object
from owncast_runners.web.responses import (
    NO_CACHE,
    bad_request,
    conflict,
    internal_error,
    json_response,
    not_found,
    simple,
)


def refusal(exc: OwncastError, *, missing: str, failure: str) -> Response:
    """The answer to a recording the service would not give or delete: 400 for a malformed id or
    one still busy, 404 (``missing``) for an unknown one, 409 when the current storage settings
    cannot reach its archive, 500 (``failure: reason``) when storage failed."""
    if isinstance(exc, ValidationError):
        return bad_request(str(exc))
    if isinstance(exc, NotFoundError):
        return not_found(missing)
    if isinstance(exc, ArchiveUnavailable):
        return conflict(str(exc))
    return internal_error(f"{failure}: {exc}")


def routes(*, recordings: RecordingService, config: ConfigService) -> list[BaseRoute]:
    guard = require_admin(config)

    @guard
    async def listing(request: Request) -> Response:
        try:
            found = await recordings.list()
        except StorageError as exc:
            return internal_error(f"could not list the recordings: {exc}")
        return json_response([r.to_json() for r in found], headers=NO_CACHE)

    @guard
    async def download(request: Request) -> Response:
        try:
            found = await recordings.download(request.path_params["id"])
        except (ValidationError, NotFoundError, StorageError) as exc:
            return refusal(exc, missing="recording not found or not ready", failure="could not reach the recording")
        if found.url is not None:
            return RedirectResponse(found.url, status_code=302, headers={"Cache-Control": "no-store"})
        if found.path is None:
            return not_found("recording not found or not ready")
        return FileResponse(found.path, media_type="video/mp4", filename=download_name(found.recording),
                            headers={"Cache-Control": "private, no-cache"})

    @guard
    async def delete(request: Request) -> Response:
        body = await posted_object(request, "id")
        if isinstance(body, Response):
            return body
        try:
            recording = await recordings.delete(body.get("id"))
        except (ValidationError, NotFoundError, StorageError) as exc:
            return refusal(exc, missing="recording not found", failure="could not delete the recording")
        note_change(request, f"recording {recording.id} deleted")
        return simple(True, f"deleted recording {recording.id}")

    return [
        Route("/api/admin/recordings", listing, methods=["GET"]),
        Route("/api/admin/recordings/delete", delete, methods=["GET", "POST"]),
        Route("/api/admin/recordings/{id}/download", download, methods=["GET", "HEAD"]),
    ]
