"""Parent side of the transcoder: ``PyAVTranscoder`` starts one child process per broadcast.

The child (``child.py``) reads the FLV stream from its stdin, writes HLS into the job's
``output_dir`` and reports what it wrote as JSON lines on its stdout. The session writes the
stream into the child's stdin with backpressure, turns the event lines into
``TranscoderListener`` calls (on the event loop, in order) and logs the child's stderr.
This module does not import PyAV: the parent stays light.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Mapping
from pathlib import Path

import owncast_adapters
from owncast_adapters.video.transcoder.events import TranscoderFailed, decode_event, deliver
from owncast_adapters.video.transcoder.launch import (
    DEFAULT_OPEN_TIMEOUT,
    JOB_ENV,
    child_arguments,
    job_to_json,
)
from owncast_core.domain.stream import TranscodeJob
from owncast_core.errors import TranscoderError, TranscoderGone
from owncast_core.ports.video import TranscoderListener

logger = logging.getLogger(__name__)
child_logger = logging.getLogger("owncast_adapters.video.transcoder.child")

CHILD_MODULE = "owncast_adapters.video.transcoder.child"
_EVENT_LINE_LIMIT = 1 << 20


def describe_exit(returncode: int) -> str:
    """A human sentence for a child's exit status."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"the transcoder was killed ({name})"
    return f"the transcoder exited with code {returncode}"


def _child_log_level(line: str, previous: int) -> tuple[int, str]:
    """Split ``LEVEL name: message``; other lines (tracebacks) keep the previous level."""
    level_name, _, rest = line.partition(" ")
    level = logging.getLevelName(level_name)
    if isinstance(level, int) and rest:
        return level, rest
    return previous, line


class PyAVTranscodeSession:
    """One running transcode (a child process); implements ``TranscodeSession``.

    - ``write`` sends FLV bytes and waits while the child is behind; it raises
      ``TranscoderGone`` once the child exited, stopped reading or the input was closed.
    - ``close`` ends the input (the child flushes, writes its last segment and exits);
      idempotent, does not wait for the exit (``wait`` does).
    - ``stop`` ends the session now: closes the input, waits ``stop_timeout`` seconds for a
      clean exit, then terminates and finally kills the child; it returns once the child is
      reaped, its pipes are closed and ``transcoder_exited`` was delivered.
    - Listener calls happen on the event loop in event order; a failing listener is logged
      and does not stop the session. When the child ends with a non-zero code without having
      reported a fatal error (a crash), a fatal ``transcoder_error`` is delivered first (not
      after ``stop``).
    """

    def __init__(
        self,
        process: asyncio.subprocess.Process,
        listener: TranscoderListener,
        *,
        stop_timeout: float = 5.0,
        kill_timeout: float = 2.0,
    ) -> None:
        self._proc = process
        self._listener = listener
        self._stop_timeout = stop_timeout
        self._kill_timeout = kill_timeout
        self._input_closed = False
        self._stopping = False
        self._fatal_reported = False
        self._stderr_task = asyncio.create_task(self._pump_stderr(), name=f"transcoder-{process.pid}-stderr")
        self._events_task = asyncio.create_task(self._pump_events(), name=f"transcoder-{process.pid}-events")

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def running(self) -> bool:
        """Whether the child process has not exited yet."""
        return self._proc.returncode is None

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode

    async def write(self, data: bytes) -> None:
        """Send FLV bytes to the child (backpressure: waits while its pipe is full)."""
        stdin = self._proc.stdin
        if self._input_closed or stdin is None:
            raise TranscoderGone("the transcoder's input is closed")
        if self._proc.returncode is not None:
            raise TranscoderGone(describe_exit(self._proc.returncode))
        if stdin.is_closing():
            raise TranscoderGone("the transcoder stopped reading its input")
        try:
            stdin.write(data)
            await stdin.drain()
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise TranscoderGone("the transcoder stopped reading its input") from exc

    async def close(self) -> None:
        """End of input; the child flushes and exits on its own. Idempotent."""
        if self._input_closed:
            return
        self._input_closed = True
        if self._proc.stdin is not None:
            self._proc.stdin.close()

    async def wait(self) -> int:
        """Wait until the child was reaped and every event delivered; its exit code."""
        await asyncio.shield(self._events_task)
        assert self._proc.returncode is not None
        return self._proc.returncode

    async def stop(self) -> None:
        """End the session now (bounded: ``stop_timeout`` + ``kill_timeout`` + reaping)."""
        self._stopping = True
        await self.close()
        if not await self._exited_within(self._stop_timeout):
            logger.warning(
                "transcoder %d did not exit in %.1fs; terminating it", self.pid, self._stop_timeout
            )
            self._signal(signal.SIGTERM)
            if not await self._exited_within(self._kill_timeout):
                logger.warning("transcoder %d ignored SIGTERM; killing it", self.pid)
                self._signal(signal.SIGKILL)
                await self._proc.wait()
        await asyncio.shield(self._events_task)

    async def _exited_within(self, seconds: float) -> bool:
        if self._proc.returncode is not None:
            return True
        try:
            await asyncio.wait_for(self._proc.wait(), seconds)
        except TimeoutError:
            return False
        return True

    def _signal(self, sig: signal.Signals) -> None:
        try:
            self._proc.send_signal(sig)
        except ProcessLookupError:
            pass

    async def _call(self, call: Awaitable[None]) -> None:
        try:
            await call
        except Exception:
            logger.exception("transcoder listener failed")

    async def _pump_events(self) -> None:
        stdout = self._proc.stdout
        assert stdout is not None
        while True:
            try:
                line = await stdout.readline()
            except ValueError:  # an over-long line: skip it
                logger.warning("transcoder %d sent an over-long event line", self.pid)
                continue
            if not line:
                break
            try:
                event = decode_event(line)
            except ValueError as exc:
                logger.warning("transcoder %d sent a malformed event (%s): %r", self.pid, exc, line[:200])
                continue
            if isinstance(event, TranscoderFailed) and event.fatal:
                self._fatal_reported = True
            await self._call(deliver(event, self._listener))
        returncode = await self._proc.wait()
        await self._stderr_task
        if returncode != 0 and not self._fatal_reported and not self._stopping:
            await self._call(self._listener.transcoder_error(describe_exit(returncode), fatal=True))
        logger.info("transcoder %d ended: %s", self.pid, describe_exit(returncode))
        await self._call(self._listener.transcoder_exited(returncode))

    async def _pump_stderr(self) -> None:
        stderr = self._proc.stderr
        assert stderr is not None
        level = logging.INFO
        while True:
            try:
                line = await stderr.readline()
            except ValueError:
                continue
            if not line:
                return
            level, message = _child_log_level(line.decode(errors="replace").rstrip(), level)
            if message:
                child_logger.log(level, "[%d] %s", self.pid, message)


def _source_root() -> str:
    """The directory holding the ``owncast_adapters`` package (for the child's sys.path)."""
    return str(Path(owncast_adapters.__file__).resolve().parent.parent)


class PyAVTranscoder:
    """``Transcoder`` on PyAV: each ``start`` spawns ``python -m owncast_adapters.video.transcoder.child``.

    ``python`` is the interpreter for the child (default: this one); ``env`` adds variables to
    its environment; ``log_level`` is the child's logging level; ``open_timeout`` is how long
    the child accepts input in which it finds no audio or video stream before it gives up
    (fatal error). ``start`` raises ``TranscoderError`` when the job has no variants or the
    process cannot be spawned.
    """

    def __init__(
        self,
        *,
        python: str = sys.executable,
        stop_timeout: float = 5.0,
        kill_timeout: float = 2.0,
        log_level: str = "INFO",
        open_timeout: float = DEFAULT_OPEN_TIMEOUT,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._python = python
        self._open_timeout = open_timeout
        self._stop_timeout = stop_timeout
        self._kill_timeout = kill_timeout
        self._log_level = log_level
        self._env = dict(env or {})

    def _child_env(self, job: TranscodeJob) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self._env)
        paths = [_source_root()] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
        env[JOB_ENV] = job_to_json(job)
        return env

    async def start(self, job: TranscodeJob, listener: TranscoderListener) -> PyAVTranscodeSession:
        """Spawn the child for ``job``; its output is reported to ``listener``."""
        if not job.variants:
            raise TranscoderError("the transcode job has no output variants")
        try:
            os.makedirs(job.output_dir, exist_ok=True)
            process = await asyncio.create_subprocess_exec(
                self._python,
                "-m",
                CHILD_MODULE,
                *child_arguments(log_level=self._log_level, open_timeout=self._open_timeout),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=self._child_env(job),
                limit=_EVENT_LINE_LIMIT,
            )
        except OSError as exc:
            raise TranscoderError(f"cannot start the transcoder: {exc}") from exc
        logger.info(
            "transcoder %d started: %d variant(s), %ss segments, into %s",
            process.pid,
            len(job.variants),
            job.latency.segment_seconds,
            job.output_dir,
        )
        return PyAVTranscodeSession(
            process, listener, stop_timeout=self._stop_timeout, kill_timeout=self._kill_timeout
        )
