"""Shared fixtures: the tiny weights (built once, offline) and settings pointing at them."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import make_tiny_weights  # noqa: E402

from models.device import placement_from  # noqa: E402
from models.registry import ModelRegistry  # noqa: E402
from pipelines import ffmpeg  # noqa: E402
from settings import Settings  # noqa: E402

TINY = ROOT / "weights" / "tiny"


def subtitle_streams(path: Path) -> list[tuple[str, str]]:
    """(language, codec) of each subtitle stream in a file, as ffmpeg reads it (no ffprobe is shipped)."""
    report = subprocess.run([ffmpeg.binary(), "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    return re.findall(r"Stream #\d+:\d+(?:\[\w+\])?\((\w+)\): Subtitle: (\w+)", report)


def loudness_of(path) -> tuple[float, float]:
    """A file's integrated loudness (LUFS) and true peak (dBTP), as ffmpeg's ebur128 meter reads them."""
    command = [ffmpeg.binary(), "-hide_banner", "-nostdin", "-i", str(path), "-vn", "-af", "ebur128=peak=true"]
    report = subprocess.run([*command, "-f", "null", "-"], capture_output=True, text=True).stderr
    summary = report[report.rindex("Summary:") :]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))
    return integrated, peak


def integrated_of(path: Path) -> float:
    """ebur128's integrated loudness of a whole file to three decimals (its summary prints one)."""
    meter = "ebur128=metadata=1,ametadata=print:key=lavfi.r128.I"
    command = [ffmpeg.binary(), "-hide_banner", "-nostdin", "-i", str(path), "-vn", "-af", meter, "-f", "null", "-"]
    report = subprocess.run(command, capture_output=True, text=True).stderr
    return float(re.findall(r"lavfi\.r128\.I=(-?[\d.]+)", report)[-1])


@pytest.fixture(scope="session")
def tiny_weights() -> Path:
    make_tiny_weights.build(TINY)  # idempotent: a no-op when the stamps match
    return TINY


def tiny_settings(data_dir: Path, **overrides) -> Settings:
    values = {
        "weights_dir": TINY,
        "data_dir": data_dir,
        "device": "cpu",
        "i2v_frames": 9,
        "i2v_steps": 2,
        "i2v_resolution": "128x96",
        "llm_max_new_tokens": 3000,
    }
    return Settings(**{**values, **overrides})


@pytest.fixture(scope="session")
def settings(tiny_weights, tmp_path_factory) -> Settings:
    return tiny_settings(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def placement(settings):
    return placement_from(settings)


@pytest.fixture(scope="session")
def registry(settings) -> ModelRegistry:
    return ModelRegistry(settings)
