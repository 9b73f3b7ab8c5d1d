"""Copies of frames and packets handed to several variant threads.

A decoded frame is handed to every variant thread. Only one of them may change it (set its
``pts``/``pict_type`` and encode it as is); another one that would use it unscaled works on a
private copy made here. Muxing changes a packet (stream index, time base), so each variant
that remuxes a demuxed packet gets its own.
"""

from __future__ import annotations

from typing import Any

from av.packet import Packet
from av.video.frame import VideoFrame

_PLANAR_8BIT = frozenset({"yuv420p", "yuvj420p"})


def copy_frame(frame: VideoFrame) -> VideoFrame:
    """A new frame with the same pixels and colour tags (8-bit planar 4:2:0 only)."""
    name = frame.format.name
    if name not in _PLANAR_8BIT:
        raise ValueError(f"cannot copy a {name} frame")
    copy = VideoFrame(frame.width, frame.height, name)
    for source, target in zip(frame.planes, copy.planes, strict=True):
        if source.line_size == target.line_size:
            target.update(bytes(source))
            continue
        src, dst = memoryview(source), memoryview(target)
        width, s_line, d_line = target.width, source.line_size, target.line_size
        for row in range(target.height):
            dst[row * d_line : row * d_line + width] = src[row * s_line : row * s_line + width]
    copy.colorspace = frame.colorspace
    copy.color_range = frame.color_range
    return copy


def copy_packet(packet: Packet[Any]) -> Packet[Any]:
    """A new packet with the same payload, timestamps, keyframe flag and side data (no stream).

    The side data matters: a publisher that changes its resolution mid-stream sends a new
    sequence header, which the FLV demuxer hands on as ``new_extradata`` side data of the next
    packet; a variant copying the video needs it to put the new parameter sets in its output."""
    copy = Packet(bytes(packet))
    copy.pts = packet.pts
    copy.dts = packet.dts
    copy.time_base = packet.time_base
    copy.duration = packet.duration
    copy.is_keyframe = packet.is_keyframe
    for side_data in packet.iter_sidedata():
        copy.set_sidedata(side_data)
    return copy
