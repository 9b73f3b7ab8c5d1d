"""The Transcoder contract bound to PyAVTranscoder (a real child process on a real FLV)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from owncast_adapters.video.transcoder import PyAVTranscoder
from owncast_core.testing.contracts.transcoder import TranscoderContract, TranscoderEnv

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def flv(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("media") / "in.flv"
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30",
         "-f", "lavfi", "-i", "sine=sample_rate=44100", "-t", "4", "-c:v", "libx264", "-preset", "ultrafast",
         "-g", "30", "-c:a", "aac", "-f", "flv", str(path)],
        check=True, timeout=60,
    )
    return path.read_bytes()


class TestPyAVTranscoder(TranscoderContract):
    @pytest.fixture
    async def transcoder_env(self, tmp_path: Path, flv: bytes) -> TranscoderEnv:
        return TranscoderEnv(transcoder=PyAVTranscoder(), media=flv, output_dir=tmp_path / "hls")
