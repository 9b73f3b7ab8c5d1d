"""A test publisher for enhanced RTMP (HEVC, AV1 or VP9 video, as OBS 29.1+ sends them).

Debian's ffmpeg CLI (5.1) cannot send these codecs over RTMP; PyAV's bundled FFmpeg (8.x)
can, with its own RTMP client and enhanced-FLV muxer. Usage:
``python enhanced_rtmp_publisher.py URL CODEC SECONDS WIDTHxHEIGHT`` with CODEC an FFmpeg
encoder (``libx265``, ``libsvtav1``, ``libvpx-vp9``). Publishes a changing picture at 30 fps
with silent AAC, paced in real time, and exits 0 once everything was sent.
"""

from __future__ import annotations

import sys
import time
from fractions import Fraction
from typing import cast

import av
from av.video.stream import VideoStream

FPS = 30
SAMPLE_RATE = 44100
AAC_FRAME = 1024
FAST = {"libx265": {"preset": "ultrafast"}, "libsvtav1": {"preset": "12"}, "libvpx-vp9": {"deadline": "realtime"}}


def main(url: str, codec: str, seconds: float, size: str) -> int:
    width, height = (int(n) for n in size.split("x"))
    out = av.open(url, "w", format="flv")
    video = cast(VideoStream, out.add_stream(codec, rate=FPS, options=FAST.get(codec, {})))
    video.width, video.height, video.pix_fmt = width, height, "yuv420p"
    video.codec_context.gop_size = FPS * 2
    audio = out.add_stream("aac", rate=SAMPLE_RATE)
    audio.layout = "stereo"
    start, samples = time.monotonic(), 0
    for i in range(int(seconds * FPS)):
        frame = av.VideoFrame(width, height, "yuv420p")
        for k, plane in enumerate(frame.planes):
            plane.update(bytes([(i * 3 + k * 50) % 256]) * plane.buffer_size)
        frame.pts, frame.time_base = i, Fraction(1, FPS)
        for packet in video.encode(frame):
            out.mux(packet)
        while samples <= (i + 1) * SAMPLE_RATE // FPS:
            silence = av.AudioFrame(format="fltp", layout="stereo", samples=AAC_FRAME)
            for channel in silence.planes:
                channel.update(bytes(channel.buffer_size))
            silence.sample_rate, silence.pts, silence.time_base = SAMPLE_RATE, samples, Fraction(1, SAMPLE_RATE)
            for packet in audio.encode(silence):
                out.mux(packet)
            samples += AAC_FRAME
        if (delay := start + (i + 1) / FPS - time.monotonic()) > 0:
            time.sleep(delay)
    for packet in [*video.encode(None), *audio.encode(None)]:
        out.mux(packet)
    out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]))
