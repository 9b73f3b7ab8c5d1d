"""Contract suite for ``EncoderProbe``. Bind it with a ``probe`` fixture."""

from __future__ import annotations

import pytest

from owncast_core.errors import ValidationError
from owncast_core.ports.system import EncoderProbe


class EncoderProbeContract:
    """Behaviour every ``EncoderProbe`` must have."""

    @pytest.fixture
    def probe(self) -> EncoderProbe:  # pragma: no cover - bindings override
        raise NotImplementedError

    async def test_supported_codecs_are_encoder_names(self, probe: EncoderProbe) -> None:
        codecs = await probe.supported_codecs()
        assert isinstance(codecs, list)
        assert all(isinstance(c, str) and c and " " not in c for c in codecs)
        assert len(codecs) == len(set(codecs))

    async def test_empty_ffmpeg_path_means_the_built_in_transcoder(self, probe: EncoderProbe) -> None:
        await probe.verify_ffmpeg("")

    @pytest.mark.parametrize("path", ["/nonexistent/ffmpeg", "/etc/passwd", "relative/ffmpeg"])
    async def test_anything_else_that_is_not_ffmpeg_is_refused(self, probe: EncoderProbe, path: str) -> None:
        with pytest.raises(ValidationError):
            await probe.verify_ffmpeg(path)
