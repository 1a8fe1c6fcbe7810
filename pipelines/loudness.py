"""Loudness to the streaming standard: the final mix measured (ITU-R BS.1770 / EBU R128, ffmpeg's
`loudnorm`) and brought to the target integrated loudness with a true-peak ceiling, in two passes:
the first measures, the second applies one gain (linear) where the ceiling allows, else loudnorm's
dynamic mode. The video stream is copied, not re-encoded: the pass costs an audio encode."""

import json
import re
import subprocess
from pathlib import Path

from models.cancel import CancelToken
from pipelines import ffmpeg

TRUE_PEAK = -2.0  # dBTP asked of loudnorm: the AAC encode after it can add a few tenths
LOUDNESS_RANGE = 11.0
SILENCE = -70.0  # LUFS: below this there is nothing to normalise (a film with no narration or music)
JSON_BLOCK = re.compile(r"\{[^{}]*\"input_i\"[^{}]*\}", re.S)


def measure(path: Path, target: float, timeout: float = 600.0) -> dict:
    """loudnorm's first pass over the file's audio: input_i, input_tp, input_lra, input_thresh, target_offset."""
    graph = f"loudnorm=I={target}:TP={TRUE_PEAK}:LRA={LOUDNESS_RANGE}:print_format=json"
    command = [ffmpeg.binary(), "-hide_banner", "-nostdin", "-i", str(path), "-vn", "-af", graph, "-f", "null", "-"]
    result = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=timeout)
    found = JSON_BLOCK.findall(result.stderr)
    if result.returncode != 0 or not found:
        raise ffmpeg.FFmpegError(f"cannot measure the loudness of {path.name}")
    return json.loads(found[-1])


def normalize(
    source: Path, target_file: Path, target: float, *, cancel: CancelToken | None = None, timeout: float = 1800.0
) -> bool:
    """Write `source` with its audio at `target` LUFS to `target_file`; False (nothing written) when
    the audio is silence."""
    measured = measure(source, target, timeout)
    if float(measured["input_i"]) < SILENCE:  # "-inf" for digital silence
        return False
    graph = (
        f"loudnorm=I={target}:TP={TRUE_PEAK}:LRA={LOUDNESS_RANGE}:measured_I={measured['input_i']}"
        f":measured_TP={measured['input_tp']}:measured_LRA={measured['input_lra']}"
        f":measured_thresh={measured['input_thresh']}:offset={measured['target_offset']}:linear=true"
    )
    args = ["-i", str(source), "-map", "0:v", "-map", "0:a", "-c:v", "copy", "-af", graph]
    args += ["-c:a", "aac", "-b:a", "160k", "-ar", "48000", "-movflags", "+faststart", str(target_file)]
    ffmpeg.run(args, cancel=cancel, timeout=timeout, remove_on_failure=target_file)
    return True
