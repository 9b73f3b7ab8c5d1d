"""Decoded audio reaches the encoders in the shape of the stream's first audio."""

from __future__ import annotations

import math
from array import array
from fractions import Fraction

import pytest
from av.audio.frame import AudioFrame

from owncast_adapters.video.transcoder.audio import AudioShape, SteadyAudio, encoder_shape

MONO_44K = AudioShape("fltp", "mono", 44100)
AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350)


def tone(rate: int, layout: str, pts: int, samples: int = 1024) -> AudioFrame:
    """A fltp frame of a 440 Hz tone; ``pts`` in samples of ``rate``."""
    frame = AudioFrame(format="fltp", layout=layout, samples=samples)
    wave = array("f", (math.sin(2 * math.pi * 440 * (n + pts) / rate) for n in range(samples))).tobytes()
    for plane in frame.planes:
        plane.update(wave + bytes(plane.buffer_size - len(wave)))
    frame.sample_rate = rate
    frame.pts = pts
    frame.time_base = Fraction(1, rate)
    return frame


def samples(frames: list[AudioFrame]) -> int:
    return sum(f.samples for f in frames)


def test_frames_of_the_first_shape_pass_as_they_are() -> None:
    steady = SteadyAudio(MONO_44K)
    first, second = tone(44100, "mono", 0), tone(44100, "mono", 1024)
    assert steady.convert(first) == [first] and steady.changed_to is None
    assert steady.convert(second) == [second] and steady.changed_to is None
    assert steady.flush() == []


def test_a_new_shape_is_resampled_to_the_first_and_back() -> None:
    steady = SteadyAudio(MONO_44K)
    steady.convert(tone(44100, "mono", 0))
    out = []
    for n in range(47):  # ~1 s of 48 kHz stereo
        out += steady.convert(tone(48000, "stereo", n * 1024))
        if n == 0:
            assert steady.changed_to == AudioShape("fltp", "stereo", 48000)
        else:
            assert steady.changed_to is None
    back = tone(44100, "mono", 90000)
    after = steady.convert(back)
    assert steady.changed_to == AudioShape("fltp", "mono", 44100)
    assert after[-1] is back  # the resampler's last samples first, then the frame itself
    out += after[:-1]
    assert {AudioShape.of(f) for f in out} == {AudioShape("fltp", "mono", 44100)}
    # Every sample is kept, at the new rate: 47 * 1024 at 48 kHz is 44,236.8 at 44.1 kHz.
    assert abs(samples(out) - 47 * 1024 * 44100 / 48000) <= 2
    times = [f.pts * f.time_base for f in out if f.pts is not None and f.time_base is not None]
    assert len(times) == len(out) and times == sorted(times)


def test_flush_at_the_end_returns_what_the_resampler_holds() -> None:
    steady = SteadyAudio(MONO_44K)
    steady.convert(tone(44100, "mono", 0))
    out = steady.convert(tone(48000, "stereo", 0))
    out += steady.flush()
    assert abs(samples(out) - 1024 * 44100 / 48000) <= 2
    assert steady.flush() == []


def test_frames_from_the_start_are_converted_to_the_target_without_a_change_reported() -> None:
    steady = SteadyAudio(AudioShape("fltp", "mono", 44100))
    out = steady.convert(tone(44100, "1 channels", 0))  # no channel order: as a broken header decodes
    assert steady.changed_to is None
    out += steady.flush()
    assert {AudioShape.of(f) for f in out} == {AudioShape("fltp", "mono", 44100)}


@pytest.mark.parametrize(
    ("rate", "layout", "channels", "expected"),
    [
        (44100, "stereo", 2, AudioShape("fltp", "stereo", 44100)),
        (48000, "5.1", 6, AudioShape("fltp", "5.1", 48000)),
        (44100, "1 channels", 1, AudioShape("fltp", "mono", 44100)),
        (44100, "3 channels", 3, AudioShape("fltp", "stereo", 44100)),
        (44000, "mono", 1, AudioShape("fltp", "mono", 48000)),  # not a rate AAC has
        (0, "", 0, AudioShape("fltp", "stereo", 48000)),
    ],
)
def test_encoder_shape_is_one_aac_takes(rate: int, layout: str, channels: int, expected: AudioShape) -> None:
    assert encoder_shape(rate, layout, channels, AAC_RATES) == expected
