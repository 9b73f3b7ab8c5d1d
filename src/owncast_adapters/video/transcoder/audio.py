"""Decoded audio in one steady shape for the audio encoders.

Every audio encoder of a session is opened with one shape (sample format, channel layout,
sample rate): the input's as it was opened, made one the AAC encoder takes
(``encoder_shape``: a layout FFmpeg knows only as "N channels", from a broken or unusual
sequence header, becomes mono or stereo; an odd rate, 48 kHz). A publisher may also change
its audio mid-stream (a relay switching sources, a new AAC sequence header): PyAV's encoders
only convert to their own shape when the first frame needed it, so later frames of another
shape would reach an encoder opened for another (it failed, ending the broadcast).
``SteadyAudio`` resamples every frame that is not in the encoders' shape to it, as the
ffmpeg CLI's filter graph does when its input changes.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from av.audio.frame import AudioFrame
from av.audio.resampler import AudioResampler


class AudioShape(NamedTuple):
    """What an audio encoder is opened for."""

    format: str
    layout: str
    rate: int

    @classmethod
    def of(cls, frame: AudioFrame) -> AudioShape:
        return cls(frame.format.name, frame.layout.name, frame.sample_rate)

    def describe(self) -> str:
        return f"{self.rate} Hz {self.layout}"


AAC_FORMAT = "fltp"
FALLBACK_RATE = 48000


def encoder_shape(rate: int, layout: str, channels: int, rates: Collection[int]) -> AudioShape:
    """The shape to open an AAC encoder with for input audio of ``rate`` and ``layout``
    (``channels`` of them); ``rates``: the rates the encoder takes."""
    if layout.endswith(" channels") or not layout:  # no channel order known: FFmpeg's "unspecified"
        layout = "mono" if channels == 1 else "stereo"
    return AudioShape(AAC_FORMAT, layout, rate if rate in rates else FALLBACK_RATE)


class SteadyAudio:
    """Hands decoded frames on in the ``target`` shape (see module); the decode thread's.

    ``convert`` returns the frames to encode for one decoded frame (none while the resampler
    fills, the frame itself when it has the target shape); ``flush`` the resampler's last
    samples at the end. ``changed_to`` is set by ``convert`` to the input's new shape when it
    changed at that frame after the first (for the caller to log), else ``None``.
    """

    def __init__(self, target: AudioShape) -> None:
        self._target = target
        self._source: AudioShape | None = None  # of the frames now coming in
        self._resampler: AudioResampler | None = None
        self.changed_to: AudioShape | None = None

    @property
    def target(self) -> AudioShape:
        """The shape frames are handed on in."""
        return self._target

    def convert(self, frame: AudioFrame) -> list[AudioFrame]:
        shape = AudioShape.of(frame)
        self.changed_to = None
        out: list[AudioFrame] = []
        if shape != self._source:
            if self._source is not None:
                self.changed_to = shape
            out.extend(self.flush())  # the samples of the previous shape come first
            self._source = shape
            if shape != self._target:
                target = self._target
                self._resampler = AudioResampler(format=target.format, layout=target.layout, rate=target.rate)
        if self._resampler is None:
            out.append(frame)
        else:
            out.extend(self._resampler.resample(frame))
        return out

    def flush(self) -> list[AudioFrame]:
        """What the resampler still holds (it is done with: a new one starts on the next change)."""
        resampler, self._resampler = self._resampler, None
        return [] if resampler is None else resampler.resample(None)
