"""The muxer's file callback keeps write failures instead of letting FFmpeg hide them."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from owncast_adapters.video.transcoder.diskio import HlsFiles, is_disk_full

AVIO_FLAG_WRITE = 2


def test_writes_go_to_the_file(tmp_path: Path) -> None:
    files = HlsFiles()
    handle = files(str(tmp_path / "s.ts.tmp"), AVIO_FLAG_WRITE, {})
    assert handle.write(b"x" * 100_000) == 100_000  # type: ignore[union-attr]
    handle.close()
    handle.close()  # idempotent
    assert (tmp_path / "s.ts.tmp").stat().st_size == 100_000
    files.check()
    assert files.failure is None


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_device_is_recorded_and_raised_as_disk_full() -> None:
    files = HlsFiles()
    handle = files("/dev/full", AVIO_FLAG_WRITE, {})
    assert handle.write(b"data") == -errno.ENOSPC  # type: ignore[union-attr]
    handle.close()
    with pytest.raises(OSError) as raised:
        files.check()
    assert raised.value.errno == errno.ENOSPC
    assert raised.value.filename == "/dev/full"
    assert is_disk_full(raised.value)


def test_unopenable_file_is_recorded(tmp_path: Path) -> None:
    files = HlsFiles()
    with pytest.raises(OSError):
        files(str(tmp_path / "missing-dir" / "s.ts"), AVIO_FLAG_WRITE, {})
    assert files.failure is not None and files.failure.errno == errno.ENOENT
    assert not is_disk_full(files.failure)


def test_reading_is_supported(tmp_path: Path) -> None:
    (tmp_path / "p.m3u8").write_bytes(b"#EXTM3U\n")
    handle = HlsFiles()(str(tmp_path / "p.m3u8"), 1, {})
    assert handle.read(100) == b"#EXTM3U\n"  # type: ignore[union-attr]
    handle.close()


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT, errno.EFBIG])
def test_disk_full_errnos(code: int) -> None:
    assert is_disk_full(OSError(code, os.strerror(code)))


def test_disk_full_is_found_in_the_cause_chain() -> None:
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as inner:
            raise RuntimeError("muxing failed") from inner
    except RuntimeError as outer:
        assert is_disk_full(outer)
    assert not is_disk_full(RuntimeError("other"))
    assert not is_disk_full(None)
