"""Entry point of the transcoder child: ``python -m owncast_adapters.video.transcoder.child``.

Contract with the parent (``session.py``):

- the job is JSON (``launch.job_to_json``) in the environment variable ``OWNCAST_TRANSCODE_JOB``;
  settings come as arguments (``--log-level``, ``--open-timeout``);
- the FLV byte stream arrives on stdin (fd 0), read by FFmpeg itself; EOF ends the broadcast;
- events go out as JSON lines on stdout (``events.py``); fd 1 is then pointed at stderr so
  nothing else can ever write into the event stream;
- logs go to stderr as ``LEVEL name: message`` lines;
- the exit code is ``pipeline.EXIT_*`` (0: clean end of input).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from owncast_adapters.video.transcoder.events import EventWriter, TranscoderFailed
from owncast_adapters.video.transcoder.launch import JOB_ENV, job_from_json, parse_child_arguments


def main(argv: Sequence[str] | None = None) -> int:
    """Run one transcode session in this process; the exit code."""
    event_fd = os.dup(1)
    os.dup2(2, 1)
    args = parse_child_arguments(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        stream=sys.stderr, level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    # Imported after the fd shuffle: nothing PyAV prints can reach the event pipe.
    import av.logging

    from owncast_adapters.video.transcoder.pipeline import EXIT_FAILED, run

    av.logging.set_level(av.logging.ERROR)
    events = EventWriter(event_fd)
    try:
        job = job_from_json(os.environ[JOB_ENV])
    except (KeyError, ValueError) as exc:
        events.emit(TranscoderFailed(f"transcoder started without a valid job: {exc}", fatal=True))
        return EXIT_FAILED
    try:
        return run(job, events, open_timeout=args.open_timeout)
    except Exception as exc:
        logging.getLogger(__name__).exception("transcoder failed")
        events.emit(TranscoderFailed(f"transcoder failed: {exc}", fatal=True))
        return EXIT_FAILED


if __name__ == "__main__":
    code = main()
    logging.shutdown()
    sys.stderr.flush()
    os._exit(code)  # skip interpreter teardown of PyAV objects; everything is flushed
