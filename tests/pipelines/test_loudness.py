"""The final mix at the streaming level: -16 LUFS integrated (±1 LU), true peak at most -1.5 dBTP,
measured on the output with ffmpeg's ebur128, for a whisper and for a shout."""

import math
import re
import subprocess

import numpy as np
import pytest
import soundfile

from pipelines import ffmpeg
from pipelines.compose import TimelineScene, compose


def voice(path, level: float, seconds: float = 6.0, rate: int = 22050):
    """Speech-like sound: a buzz at a voice's pitch, cut into syllables, scaled by `level`."""
    t = np.arange(int(seconds * rate)) / rate
    buzz = sum(np.sin(2 * math.pi * f * t) / k for k, f in enumerate((140, 280, 420, 560, 700), 1))
    syllables = (np.sin(2 * math.pi * 3.0 * t) > 0).astype(np.float32)
    soundfile.write(path, (level * buzz * syllables / np.abs(buzz).max()).astype(np.float32), rate)
    return path


def loudness_of(path) -> tuple[float, float]:
    command = [ffmpeg.binary(), "-hide_banner", "-nostdin", "-i", str(path), "-vn", "-af", "ebur128=peak=true"]
    report = subprocess.run([*command, "-f", "null", "-"], capture_output=True, text=True).stderr
    summary = report[report.rindex("Summary:") :]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))
    return integrated, peak


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
    result = compose([scene], tmp_path / "final.mp4", width=160, height=90, fps=8, subtitles=False, loudness=-16.0)
    integrated, peak = loudness_of(result.video)
    assert abs(before + 16) > 5  # far from the target to begin with
    assert integrated == pytest.approx(-16.0, abs=1.0)
    assert peak <= -1.5
    assert ffmpeg.probe(result.video).frames == 56  # the picture is copied, not re-encoded or cut
