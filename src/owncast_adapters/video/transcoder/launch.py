"""How the parent starts the child: the job as JSON in the environment (``JOB_ENV``), the
settings as command-line arguments (pure; both sides import it).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from owncast_core.domain.stream import (
    BroadcasterDetails,
    LatencyLevel,
    StreamOutputVariant,
    TranscodeJob,
)

JOB_ENV = "OWNCAST_TRANSCODE_JOB"
DEFAULT_OPEN_TIMEOUT = 20.0


def child_arguments(*, log_level: str, open_timeout: float) -> list[str]:
    """The command-line arguments for the child (read back by ``parse_child_arguments``)."""
    return ["--log-level", log_level, "--open-timeout", repr(float(open_timeout))]


def parse_child_arguments(argv: Sequence[str]) -> argparse.Namespace:
    """``log_level`` and ``open_timeout`` (seconds the input may take to show a stream)."""
    parser = argparse.ArgumentParser(prog="owncast-transcoder")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--open-timeout", type=float, default=DEFAULT_OPEN_TIMEOUT)
    return parser.parse_args(argv)


def job_to_json(job: TranscodeJob) -> str:
    """Serialise ``job`` (metadata values JSON cannot hold are turned into strings)."""
    details = asdict(job.details)
    details["connected_at"] = job.details.connected_at.isoformat()
    details["metadata"] = dict(job.details.metadata)
    body = {
        "variants": [asdict(v) for v in job.variants],
        "latency": asdict(job.latency),
        "output_dir": job.output_dir,
        "details": details,
        "segment_prefix": job.segment_prefix,
        "thumbnail_path": job.thumbnail_path,
        "thumbnail_interval_seconds": job.thumbnail_interval_seconds,
        "video_codec": job.video_codec,
    }
    return json.dumps(body, default=str)


def job_from_json(text: str) -> TranscodeJob:
    """Rebuild the job written by ``job_to_json``; raises ``ValueError`` when malformed."""
    try:
        data: dict[str, Any] = json.loads(text)
        details: dict[str, Any] = dict(data["details"])
        details["connected_at"] = datetime.fromisoformat(details["connected_at"])
        return TranscodeJob(
            variants=tuple(StreamOutputVariant(**v) for v in data["variants"]),
            latency=LatencyLevel(**data["latency"]),
            output_dir=data["output_dir"],
            details=BroadcasterDetails(**details),
            segment_prefix=data["segment_prefix"],
            thumbnail_path=data["thumbnail_path"],
            thumbnail_interval_seconds=float(data["thumbnail_interval_seconds"]),
            video_codec=data["video_codec"],
        )
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"malformed transcode job: {exc}") from exc
