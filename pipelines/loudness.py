"""Loudness to the streaming standard: the mix measured (ITU-R BS.1770 / EBU R128 integrated
loudness and 4x-oversampled true peak, ffmpeg's `ebur128`), then one gain to the target; where the
gain would lift the true peak over the ceiling, a limiter run at 4x the rate holds it there. The
gain rides in the soundtrack's one AAC encode: levelling costs a measurement, not a pass."""

import re
import subprocess
from pathlib import Path

from pipelines import ffmpeg

TRUE_PEAK = -2.0  # dBTP ceiling: the AAC encode after it can add a few tenths
LIMITER_MARGIN = 0.5  # dB under the ceiling for the limiter, whose own overshoot is small
SILENCE = -70.0  # LUFS: at or below this there is nothing to level (a film with no narration or music)
INTEGRATED = re.compile(r"I:\s+(-?[\d.]+|-inf) LUFS")
PEAK = re.compile(r"Peak:\s+(-?[\d.]+|-inf) dBFS")


def measure(path: Path, timeout: float = 600.0) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) of the file's audio."""
    command = [ffmpeg.binary(), "-hide_banner", "-nostdin", "-i", str(path), "-vn", "-af", "ebur128=peak=true"]
    result = subprocess.run(
        [*command, "-f", "null", "-"], capture_output=True, text=True, errors="replace", timeout=timeout
    )
    summary = result.stderr[result.stderr.rfind("Summary:") :]
    integrated, peak = INTEGRATED.search(summary), PEAK.search(summary)
    if result.returncode != 0 or "Summary:" not in result.stderr or not integrated or not peak:
        raise ffmpeg.FFmpegError(f"cannot measure the loudness of {path.name}")
    return float(integrated.group(1)), float(peak.group(1))


def levelling(source: Path, target: float, timeout: float = 600.0) -> str | None:
    """The audio filter that brings `source` to `target` LUFS under the ceiling; None for silence."""
    integrated, peak = measure(source, timeout)
    if integrated <= SILENCE:
        return None
    gain = target - integrated
    chain = f"volume={gain:.2f}dB"
    if peak + gain > TRUE_PEAK:
        limit = 10 ** ((TRUE_PEAK - LIMITER_MARGIN) / 20)
        chain += f",aresample=192000,alimiter=limit={limit:.4f}:attack=1:release=50:level=false,aresample=48000"
    return chain
