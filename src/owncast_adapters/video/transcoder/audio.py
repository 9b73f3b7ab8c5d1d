"""Decoded audio in one steady shape for the audio encoders.

Every audio encoder of a session is opened with the shape (sample format, channel layout,
sample rate) of the input's first audio. A publisher may change it mid-stream (a relay
switching sources, a new AAC sequence header): PyAV's encoders only convert to their own
shape when the first frame needed it, so later frames of another shape would be encoded as
if they had the first one's (48 kHz played at 44.1 kHz: slower, lower and out of sync).
``SteadyAudio`` resamples such frames back to the first shape, as the ffmpeg CLI's filter
graph does when its input changes.
"""

from __future__ import annotations

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


class SteadyAudio:
    """Hands decoded frames on in the first frame's shape (see module); the decode thread's.

    ``convert`` returns the frames to encode for one decoded frame (none while the resampler
    fills, the frame itself when it has the first shape); ``flush`` the resampler's last
    samples at the end. ``changed_to`` is set by ``convert`` to the new shape when the input's
    changed at that frame (for the caller to log), else ``None``.
    """

    def __init__(self) -> None:
        self._target: AudioShape | None = None
        self._source: AudioShape | None = None  # of the frames now coming in
        self._resampler: AudioResampler | None = None
        self.changed_to: AudioShape | None = None

    @property
    def target(self) -> AudioShape | None:
        """The shape frames are handed on in (the first frame's), once known."""
        return self._target

    def convert(self, frame: AudioFrame) -> list[AudioFrame]:
        shape = AudioShape.of(frame)
        self.changed_to = None
        if self._target is None:
            self._target = self._source = shape
            return [frame]
        out: list[AudioFrame] = []
        if shape != self._source:
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
