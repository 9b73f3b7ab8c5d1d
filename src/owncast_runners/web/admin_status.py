"""Admin status, statistics and logs (reference §1.5 "Status, stats, logs") and the public
player metrics collector ``POST /api/metrics/playback``."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from owncast_core.domain import jsontext
from owncast_core.domain.config import Keys
from owncast_core.domain.stats import PlaybackReport
from owncast_core.errors import ValidationError
from owncast_core.ports.stats import LogHistory
from owncast_core.services.config import ConfigService
from owncast_core.services.stats import StatsService
from owncast_core.services.status import StatusService
from owncast_core.services.viewers import client_id
from owncast_runners.web.auth import require_admin
from owncast_runners.web.responses import CORS_ANY, NO_CACHE, bad_request, client_ip, json_response, simple

MAX_PLAYBACK_BODY = 4096


def routes(*, status: StatusService, stats: StatsService, config: ConfigService,
           logs: LogHistory) -> list[BaseRoute]:
    guard = require_admin(config)

    @guard
    async def admin_status(request: Request) -> Response:
        return json_response(status.admin_status(stats.health()), headers=NO_CACHE)

    @guard
    async def viewers_over_time(request: Request) -> Response:
        raw = request.query_params.get("windowStart", "")
        try:
            start = datetime.fromtimestamp(int(raw), UTC)
        except (ValueError, OverflowError, OSError):
            return bad_request("must provide windowStart as a unix timestamp in seconds")
        return json_response(await stats.viewers_over_time(start))

    @guard
    async def viewers(request: Request) -> Response:
        return json_response(await stats.active_viewers())

    @guard
    async def hardware(request: Request) -> Response:
        return json_response(stats.hardware_stats())

    @guard
    async def video_metrics(request: Request) -> Response:
        return json_response(stats.video_metrics())

    @guard
    async def log_entries(request: Request) -> Response:
        return json_response([e.to_json() for e in logs.entries()])

    @guard
    async def warnings(request: Request) -> Response:
        return json_response([e.to_json() for e in logs.entries(warnings_only=True)])

    @guard
    async def prometheus(request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status_code=204)
        body, content_type = await stats.prometheus()
        return Response(body, headers={"Content-Type": content_type})

    @guard
    async def reset_directory(request: Request) -> Response:
        await config.set(Keys.DIRECTORY_KEY, "")
        return simple(True, "reset")

    @guard
    async def update_options(request: Request) -> Response:
        return json_response({"supportsUpdate": False, "canRestart": False})

    @guard
    async def update_unsupported(request: Request) -> Response:
        return simple(False, "updating from the admin is not supported; update the owncast-py package")

    async def playback(request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status_code=204, headers={**CORS_ANY, "Access-Control-Allow-Methods": "POST",
                                                      "Access-Control-Allow-Headers": "Content-Type"})
        raw = await request.body()
        if len(raw) > MAX_PLAYBACK_BODY:
            return bad_request("payload too large")
        try:
            data = jsontext.loads(raw)
        except ValueError:  # also bad UTF-8: a clear message, not the parser's
            return bad_request("request body must be a JSON object with playback metrics")
        try:
            report = PlaybackReport.from_json(data)
        except (ValueError, ValidationError) as exc:
            return bad_request(str(exc))
        ip = client_ip(request.scope.get("client"), request.headers.get("x-forwarded-for"))
        stats.record_playback(client_id(ip, request.headers.get("user-agent", "")), report)
        return Response(status_code=200, headers=CORS_ANY)

    return [
        Route("/api/admin/status", admin_status, methods=["GET"]),
        Route("/api/admin/viewersOverTime", viewers_over_time, methods=["GET"]),
        Route("/api/admin/viewers", viewers, methods=["GET"]),
        Route("/api/admin/hardwarestats", hardware, methods=["GET"]),
        Route("/api/admin/metrics/video", video_metrics, methods=["GET"]),
        Route("/api/admin/logs", log_entries, methods=["GET"]),
        Route("/api/admin/logs/warnings", warnings, methods=["GET"]),
        Route("/api/admin/prometheus", prometheus, methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"]),
        Route("/api/admin/yp/reset", reset_directory, methods=["GET", "POST"]),
        Route("/api/admin/update/options", update_options, methods=["GET"]),
        Route("/api/admin/update/start", update_unsupported, methods=["GET", "POST"]),
        Route("/api/admin/update/forcequit", update_unsupported, methods=["GET", "POST"]),
        Route("/api/metrics/playback", playback, methods=["POST", "OPTIONS"]),
    ]
