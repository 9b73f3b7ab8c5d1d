"""Bindings of the PasswordHasher and EncoderProbe contracts: fakes and real adapters."""

from __future__ import annotations

import shutil

import pytest

from owncast_adapters.auth.passwords import BcryptPasswordHasher
from owncast_adapters.host.encoders import PyAVEncoderProbe
from owncast_core.testing.contracts.encoders import EncoderProbeContract
from owncast_core.testing.contracts.passwords import PasswordHasherContract
from owncast_core.testing.fakes import FakeEncoderProbe, PlainPasswordHasher


class TestPlainPasswordHasher(PasswordHasherContract):
    @pytest.fixture
    def hasher(self) -> PlainPasswordHasher:
        return PlainPasswordHasher()


class TestBcryptPasswordHasher(PasswordHasherContract):
    @pytest.fixture
    def hasher(self) -> BcryptPasswordHasher:
        return BcryptPasswordHasher(rounds=4)  # the cost does not change the contract; keep it fast


class TestFakeEncoderProbe(EncoderProbeContract):
    @pytest.fixture
    def probe(self) -> FakeEncoderProbe:
        return FakeEncoderProbe(codecs=["libx264", "h264_nvenc"])


class TestPyAVEncoderProbe(EncoderProbeContract):
    @pytest.fixture
    def probe(self) -> PyAVEncoderProbe:
        return PyAVEncoderProbe()

    async def test_a_real_ffmpeg_is_accepted_and_libx264_listed(self, probe: PyAVEncoderProbe) -> None:
        ffmpeg = shutil.which("ffmpeg")
        assert ffmpeg, "ffmpeg is needed (./run test installs it)"
        await probe.verify_ffmpeg(ffmpeg)
        assert "libx264" in await probe.supported_codecs()
