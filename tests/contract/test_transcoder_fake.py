"""The Transcoder contract bound to the in-memory fake (the PyAV binding lives beside it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from owncast_core.testing.contracts.transcoder import TranscoderContract, TranscoderEnv
from owncast_core.testing.fakes import FakeTranscoder


class TestFakeTranscoder(TranscoderContract):
    @pytest.fixture
    async def transcoder_env(self, tmp_path: Path) -> TranscoderEnv:
        return TranscoderEnv(transcoder=FakeTranscoder(bytes_per_segment=1000), media=b"x" * 5000,
                             output_dir=tmp_path / "hls")
