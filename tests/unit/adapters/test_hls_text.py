"""Pure playlist edits used by the storages."""

from __future__ import annotations

from owncast_adapters.storage.hls_text import absolute_master, drop_leading_segments, with_endlist

MEDIA = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:3
#EXT-X-MEDIA-SEQUENCE:7
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:00.000+0000
#EXTINF:3.000000,
stream-a-7.ts
#EXT-X-DISCONTINUITY
#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:03.000+0000
#EXTINF:3.000000,
stream-a-8.ts
#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:06.000+0000
#EXTINF:3.000000,
stream-a-9.ts
"""


def uris(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln and not ln.startswith("#")]


def test_dropping_leading_segments_keeps_sequence_numbers() -> None:
    out = drop_leading_segments(MEDIA, 1)
    assert uris(out) == ["stream-a-8.ts", "stream-a-9.ts"]
    assert "#EXT-X-MEDIA-SEQUENCE:8" in out
    assert "2024-01-01T00:00:00" not in out  # the dropped segment's tags went with it
    assert "#EXT-X-INDEPENDENT-SEGMENTS" in out and "#EXT-X-DISCONTINUITY-SEQUENCE" not in out


def test_dropping_a_discontinuity_advances_the_discontinuity_sequence() -> None:
    out = drop_leading_segments(MEDIA, 2)
    assert uris(out) == ["stream-a-9.ts"]
    assert "#EXT-X-MEDIA-SEQUENCE:9" in out
    assert "#EXT-X-DISCONTINUITY-SEQUENCE:1" in out
    assert "#EXT-X-DISCONTINUITY\n" not in out


def test_dropping_everything_keeps_the_endlist() -> None:
    out = drop_leading_segments(MEDIA + "#EXT-X-ENDLIST\n", 5)
    assert uris(out) == []
    assert out.rstrip().endswith("#EXT-X-ENDLIST")
    assert "#EXT-X-MEDIA-SEQUENCE:10" in out


def test_drop_without_media_sequence_adds_one() -> None:
    out = drop_leading_segments("#EXTM3U\n#EXTINF:1,\na.ts\n#EXTINF:1,\nb.ts\n", 1)
    assert out.splitlines()[:2] == ["#EXTM3U", "#EXT-X-MEDIA-SEQUENCE:1"]
    assert uris(out) == ["b.ts"]


def test_endlist_is_appended_once() -> None:
    once = with_endlist(b"#EXTM3U\n#EXTINF:1,\na.ts")
    assert once == b"#EXTM3U\n#EXTINF:1,\na.ts\n#EXT-X-ENDLIST\n"
    assert with_endlist(once) == once


def test_master_variant_uris_become_absolute() -> None:
    master = (
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=1x1\n0/stream.m3u8\n"
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="x",URI="1/stream.m3u8"\n'
        "#EXT-X-STREAM-INF:BANDWIDTH=2\nhttps://elsewhere.example/2.m3u8\n"
    )
    out = absolute_master(master, "https://cdn.example/p/hls/")
    assert uris(out) == ["https://cdn.example/p/hls/0/stream.m3u8", "https://elsewhere.example/2.m3u8"]
    assert 'URI="https://cdn.example/p/hls/1/stream.m3u8"' in out
    assert "#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=1x1" in out
