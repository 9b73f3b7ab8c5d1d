"""RFC 6381 ``CODECS`` strings from codec extradata (pure).

H.264: ``avc1.PPCCLL`` (profile_idc, constraint flags, level_idc in hex) read from either an
``avcC`` record (FLV / MP4 style, first byte 1) or Annex B parameter sets (what libx264 gives
with a global header). H.265 (passed through from an enhanced-RTMP publisher):
``hvc1.<space><profile>.<compatibility>.<tier><level>[.<constraints>]`` from an ``hvcC``
record (ISO/IEC 14496-15 annex E). AAC: ``mp4a.40.<audio object type>`` from the
AudioSpecificConfig.
"""

from __future__ import annotations

AAC_LC = "mp4a.40.2"
_MP3 = "mp4a.40.34"


def _annexb_sps(data: bytes) -> bytes | None:
    """The first SPS NAL unit (header byte first) in an Annex B byte string."""
    start = 0
    while True:
        found = data.find(b"\x00\x00\x01", start)
        if found < 0 or found + 3 >= len(data):
            return None
        nal = found + 3
        if data[nal] & 0x1F == 7:
            return data[nal:]
        start = nal


def avc_codec_string(extradata: bytes | None) -> str | None:
    """``avc1.PPCCLL`` for H.264 extradata (avcC or Annex B); ``None`` when there is no SPS."""
    if not extradata:
        return None
    if extradata[0] == 1 and len(extradata) >= 4:
        profile, constraints, level = extradata[1], extradata[2], extradata[3]
    else:
        sps = _annexb_sps(extradata)
        if sps is None or len(sps) < 4:
            return None
        profile, constraints, level = sps[1], sps[2], sps[3]
    return f"avc1.{profile:02x}{constraints:02x}{level:02x}"


def hevc_codec_string(extradata: bytes | None) -> str | None:
    """``hvc1...`` for an ``hvcC`` record; ``None`` for anything else (e.g. Annex B)."""
    if not extradata or extradata[0] != 1 or len(extradata) < 13:
        return None
    space, tier, profile = extradata[1] >> 6, (extradata[1] >> 5) & 1, extradata[1] & 0x1F
    compatibility = int.from_bytes(extradata[2:6], "big")
    reversed_bits = int(f"{compatibility:032b}"[::-1], 2)
    constraints = bytes(extradata[6:12]).rstrip(b"\x00")
    parts = [f"hvc1.{'' if space == 0 else 'ABC'[space - 1]}{profile}", f"{reversed_bits:X}",
             f"{'H' if tier else 'L'}{extradata[12]}", *(f"{b:X}" for b in constraints)]  # fmt: skip
    return ".".join(parts)


def video_codec_string(codec_name: str, extradata: bytes | None) -> str | None:
    """The CODECS entry for video carried in MPEG-TS: H.264 or H.265 (by FFmpeg codec name);
    ``None`` when it cannot be told (the master playlist then names no codecs at all)."""
    if codec_name == "h264":
        return avc_codec_string(extradata)
    if codec_name == "hevc":
        return hevc_codec_string(extradata)
    return None


def aac_codec_string(extradata: bytes | None) -> str:
    """``mp4a.40.<aot>`` from an AudioSpecificConfig; AAC-LC when it is missing or short."""
    if not extradata:
        return AAC_LC
    object_type = extradata[0] >> 3
    if object_type == 31:
        if len(extradata) < 2:
            return AAC_LC
        object_type = 32 + (((extradata[0] & 0x07) << 3) | (extradata[1] >> 5))
    if object_type == 0:
        return AAC_LC
    return f"mp4a.40.{object_type}"


def audio_codec_string(codec_name: str, extradata: bytes | None) -> str:
    """The CODECS entry for an audio stream carried in MPEG-TS (AAC or MP3)."""
    if codec_name == "mp3":
        return _MP3
    return aac_codec_string(extradata)
