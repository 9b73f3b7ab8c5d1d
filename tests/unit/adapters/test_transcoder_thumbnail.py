"""Thumbnails and previews read the decoded frames that a variant thread may be encoding at the
same time: they must never change them (a variant that encodes the decoded frame as is sets
its ``pts`` and encodes it again when it repeats it)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from av.video.frame import VideoFrame

from owncast_adapters.video.transcoder.thumbnail import PREVIEW_FRAMES, PreviewMaker, encode_jpeg

MS = Fraction(1, 1000)
GIF_MAGIC = b"GIF89a"


def frame(width: int, height: int, pts: int, shade: int = 128) -> VideoFrame:
    """A grey yuv420p frame with ``pts`` in milliseconds."""
    image = VideoFrame(width, height, "yuv420p")
    for plane in image.planes:
        plane.update(bytes([shade]) * plane.buffer_size)
    image.pts = pts
    image.time_base = MS
    return image


def make_preview(path: Path, frames: list[VideoFrame], times: list[float]) -> None:
    preview = PreviewMaker(str(path))
    preview.start()
    for image, time in zip(frames, times, strict=True):
        preview.offer(image, time)
    preview.join(30)


def test_preview_of_a_small_stream_leaves_the_offered_frames_as_they_were(tmp_path: Path) -> None:
    # 320 wide: no scaling down to the preview's 480, so the preview could take the frame itself.
    frames = [frame(320, 240, 1000 + 125 * n, shade=16 * n) for n in range(PREVIEW_FRAMES)]
    make_preview(tmp_path / "preview.gif", frames, [f.pts * MS for f in frames])  # type: ignore[operator]
    assert (tmp_path / "preview.gif").read_bytes().startswith(GIF_MAGIC)
    assert [(f.pts, f.time_base) for f in frames] == [(1000 + 125 * n, MS) for n in range(PREVIEW_FRAMES)]


def test_preview_times_frames_by_the_time_it_is_given_not_by_their_pts(tmp_path: Path) -> None:
    # A variant thread may have retimed a frame (its pts now on the output's 90 kHz clock) while
    # the decode thread offers it: the preview goes by the input time it is handed.
    frames = [frame(320, 240, 90_000 * n, shade=16 * n) for n in range(2 * PREVIEW_FRAMES)]
    for image in frames:
        image.time_base = MS  # a torn read: a 90 kHz pts with the input's time base
    times = [1.0 + n / 16 for n in range(2 * PREVIEW_FRAMES)]  # 16 fps in: every other is due
    preview = PreviewMaker(str(tmp_path / "preview.gif"))
    preview.start()
    taken = []
    for image, time in zip(frames, times, strict=True):
        was = preview.collecting
        preview.offer(image, time)
        taken.append(was)
    preview.join(30)
    assert (tmp_path / "preview.gif").read_bytes().startswith(GIF_MAGIC)
    assert not preview.collecting  # all 8 were collected from the 16 frames
    assert sum(taken) == 2 * PREVIEW_FRAMES - 1  # the last one came after the eighth was taken


def test_preview_skips_a_frame_without_a_time(tmp_path: Path) -> None:
    preview = PreviewMaker(str(tmp_path / "preview.gif"))
    preview.start()
    preview.offer(frame(320, 240, 0), None)
    assert preview.collecting
    preview.join(1)
    assert not (tmp_path / "preview.gif").exists()


def test_jpeg_thumbnail_leaves_the_frame_as_it_was() -> None:
    image = frame(320, 240, 1234)
    data = encode_jpeg(image)
    assert data.startswith(b"\xff\xd8") and data.endswith(b"\xff\xd9")
    assert (image.pts, image.time_base) == (1234, MS)
