"""Remux a recording's MPEG-TS into a fast-start MP4 (stream copy), as a child process.

``python -m owncast_adapters.video.remux <input.ts> <output.mp4>`` copies every video and audio
packet (no re-encode) into ``<output.mp4>`` with ``movflags=+faststart`` and timestamps starting
at zero, then prints one JSON line ``{"duration": <seconds>}`` measured on the output. With
``--probe`` and one path it only measures an existing MP4. Exit code 1 with the reason on
stderr when there is nothing playable (no packet, unreadable input).

It runs in its own process so a long remux never holds the server's GIL or event loop, and a
crash inside FFmpeg on a damaged file cannot take the server down.
"""

from __future__ import annotations

import json
import sys
from fractions import Fraction

import av


def remux(source: str, target: str) -> None:
    """Copy ``source``'s audio and video packets into the MP4 ``target`` (see the module doc)."""
    with av.open(source) as inp:
        streams = [s for s in inp.streams if s.type in ("video", "audio")]
        if not streams:
            raise ValueError("no audio or video in the recording")
        starts = [s.start_time * s.time_base for s in streams if s.start_time is not None and s.time_base]
        offset = min(starts) if starts else Fraction(0)
        packets = 0
        with av.open(target, "w", format="mp4", options={"movflags": "+faststart"}) as out:
            mapping = {s.index: out.add_stream_from_template(s) for s in streams}
            for packet in inp.demux(*streams):
                if packet.dts is None or packet.time_base is None:
                    continue  # the flush packet the demuxer yields at the end
                shift = round(offset / packet.time_base)
                packet.dts -= shift
                if packet.pts is not None:
                    packet.pts -= shift
                packet.stream = mapping[packet.stream.index]
                out.mux(packet)
                packets += 1
        if packets == 0:
            raise ValueError("the recording holds no packet")


def duration(path: str) -> float:
    """The media duration of ``path`` in seconds (the container's, else the longest stream's)."""
    with av.open(path) as container:
        if container.duration is not None:
            return float(container.duration) / av.time_base
        spans = [float(s.duration * s.time_base) for s in container.streams if s.duration and s.time_base]
        return max(spans, default=0.0)


def main(argv: list[str]) -> int:
    try:
        if len(argv) == 2 and argv[0] == "--probe":
            seconds = duration(argv[1])
        elif len(argv) == 2:
            remux(argv[0], argv[1])
            seconds = duration(argv[1])
        else:
            print("usage: remux <input.ts> <output.mp4> | --probe <file.mp4>", file=sys.stderr)
            return 2
    except (OSError, ValueError, av.FFmpegError) as exc:
        print(str(exc) or type(exc).__name__, file=sys.stderr)
        return 1
    print(json.dumps({"duration": seconds}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
