"""The final mix at the streaming level: -16 LUFS integrated (±1 LU), true peak at most -1.5 dBTP,
measured on the output with ffmpeg's ebur128, for a whisper and for a shout; the loudness summed
from the stems against a full ebur128 pass; a near-silent voice named in a warning."""

import math

import numpy as np
import pytest
import soundfile

from pipelines import ffmpeg
from pipelines.artifact_store import ArtifactStore
from pipelines.compose import TimelineScene, compose
from pipelines.soundtrack import MusicBed
from tests.conftest import integrated_of, loudness_of


def voice(path, level: float, seconds: float = 6.0, rate: int = 22050):
    """Speech-like sound: a buzz at a voice's pitch, cut into syllables, scaled by `level`."""
    t = np.arange(int(seconds * rate)) / rate
    buzz = sum(np.sin(2 * math.pi * f * t) / k for k, f in enumerate((140, 280, 420, 560, 700), 1))
    syllables = (np.sin(2 * math.pi * 3.0 * t) > 0).astype(np.float32)
    soundfile.write(path, (level * buzz * syllables / np.abs(buzz).max()).astype(np.float32), rate)
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    out = tmp_path_factory.mktemp("loud") / "clip.mp4"
    source = ["-f", "lavfi", "-i", "color=c=navy:s=160x90:d=7:r=8"]
    ffmpeg.run([*source, "-c:v", "libx264", "-pix_fmt", "yuv420p", str(out)])
    return out


@pytest.mark.parametrize("level", [0.01, 0.99], ids=["whisper", "shout"])
def test_the_mix_is_levelled_to_the_target(tmp_path, clip, level):
    spoken = voice(tmp_path / "voice.wav", level)
    before, _ = loudness_of(spoken)
    scene = TimelineScene(clip, 7.0, "none", spoken, 6.0, "")
    result = compose([scene], tmp_path / "final.mp4", width=160, height=90, fps=8, subtitles="none", loudness=-16.0)
    integrated, peak = loudness_of(result.video)
    assert abs(before + 16) > 5  # far from the target to begin with
    assert integrated == pytest.approx(-16.0, abs=1.0)
    assert peak <= -1.5
    assert ffmpeg.probe(result.video).frames == 56  # the picture is copied, not re-encoded or cut


def test_the_film_s_loudness_summed_from_its_stems_matches_a_full_pass(tmp_path, clip):
    """Six lines at levels 30 dB apart under a ducked music bed: the integrated loudness the stems'
    kept levels give is within 0.3 LU of ffmpeg's ebur128 over the whole film (measured on the
    output, less the levelling gain, which no limiter touched here)."""
    rate = 22050
    t = np.arange(20 * rate) / rate
    bed = (0.3 * np.sin(2 * math.pi * 330 * t) * (0.6 + 0.4 * np.sin(2 * math.pi * 0.3 * t))).astype(np.float32)
    soundfile.write(tmp_path / "bed.wav", bed, rate)
    levels = [0.05, 0.3, 0.1, 0.6, 0.02, 0.2]
    scenes = [
        TimelineScene(clip, 6.5, "crossfade", voice(tmp_path / f"v{i}.wav", level, 3.0 + 0.5 * i), 3.0 + 0.5 * i, "")
        for i, level in enumerate(levels)
    ]
    store = ArtifactStore(tmp_path / "store")
    for music in (None, MusicBed(tmp_path / "bed.wav")):
        result = compose(
            scenes, tmp_path / "film.mp4", width=160, height=90, fps=8, subtitles="none", music=music, store=store
        )
        _, peak = loudness_of(result.video)
        assert peak <= -1.5 and result.warnings == []
        assert result.loudness + result.gain == pytest.approx(-16.0, abs=0.5)  # R128's tolerance
        assert result.loudness == pytest.approx(integrated_of(result.video) - result.gain, abs=0.3)


@pytest.mark.parametrize(("level", "levelled"), [(0.002, True), (0.0005, False)], ids=["-63 LUFS", "gated"])
def test_a_near_silent_voice_is_named(tmp_path, clip, level, levelled):
    """A voice model that speaks at a whisper of a whisper: the film is levelled if there is anything
    above the gate to level, and the task says why the voice sounds as it does."""
    spoken = voice(tmp_path / "voice.wav", level)
    scene = TimelineScene(clip, 7.0, "none", spoken, 6.0, "")
    result = compose([scene], tmp_path / "final.mp4", width=160, height=90, fps=8, subtitles="none")
    assert result.loudness < -40
    assert len(result.warnings) == 1 and "near-silent" in result.warnings[0] and "voice" in result.warnings[0]
    integrated, _ = loudness_of(result.video)
    assert (integrated == pytest.approx(-16.0, abs=1.0)) is levelled
