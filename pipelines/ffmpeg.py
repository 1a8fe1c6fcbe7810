"""Running ffmpeg: argument lists only, progress from `-progress`, cancel and timeout, clean errors."""

import contextlib
import os
import re
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

from models.cancel import CancelToken
from models.errors import Cancelled

POLL_SECONDS = 0.1
NICENESS = 10  # encoding is batch work: it must never starve the process answering clients


class FFmpegError(Exception):
    code = "ffmpeg_failed"


def binary() -> str:
    override = os.environ.get("S2V_FFMPEG")  # tests point this at a fake to inject faults
    if override:
        return override
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as error:
        raise FFmpegError("ffmpeg is not available (imageio-ffmpeg ships it; reinstall it)") from error


def run(
    args: list[str],
    *,
    duration: float | None = None,
    cancel: CancelToken | None = None,
    on_progress: Callable[[float], None] | None = None,
    timeout: float = 1800.0,
    cwd: Path | None = None,
    stdin_feed: Callable[[object], None] | None = None,
    remove_on_failure: Path | None = None,
) -> None:
    """Run ffmpeg with `args` (no shell). `duration` turns `-progress` output into a 0..1 fraction.

    Cancel and timeout kill the process within one poll; a failure removes `remove_on_failure`
    and raises FFmpegError with the tail of ffmpeg's stderr (host paths stripped by the caller).
    """
    command = [binary(), "-hide_banner", "-y", "-nostats", "-progress", "pipe:1"]
    command += (["-nostdin"] if stdin_feed is None else []) + args
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE if stdin_feed else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
        )
    except OSError as error:
        raise FFmpegError(f"cannot start ffmpeg: {error.strerror}") from error
    with contextlib.suppress(OSError):  # it may already have exited
        os.setpriority(os.PRIO_PROCESS, process.pid, NICENESS)
    stderr_tail: deque[str] = deque(maxlen=12)

    def read_stderr() -> None:
        for raw in process.stderr:
            stderr_tail.append(raw.decode("utf-8", "replace").rstrip())

    def read_progress() -> None:
        for raw in process.stdout:
            line = raw.decode("ascii", "replace").strip()
            if on_progress and duration and line.startswith("out_time_us=") and line[12:].isdigit():
                on_progress(min(1.0, int(line[12:]) / 1e6 / duration))

    readers = [threading.Thread(target=read_stderr, daemon=True), threading.Thread(target=read_progress, daemon=True)]
    for reader in readers:
        reader.start()
    if stdin_feed:

        def feed() -> None:
            try:
                stdin_feed(process.stdin)
                process.stdin.close()
            except OSError:
                pass  # ffmpeg exited early; its exit code and stderr tell why

        readers.append(threading.Thread(target=feed, daemon=True))
        readers[-1].start()

    deadline = time.monotonic() + timeout
    timed_out = False
    try:
        while process.poll() is None:
            if cancel and cancel.cancelled:
                raise Cancelled("cancelled")
            if time.monotonic() > deadline:
                timed_out = True
                process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):  # returns as soon as ffmpeg exits
                process.wait(POLL_SECONDS)
    except BaseException:
        process.kill()
        process.wait()
        if remove_on_failure:
            remove_on_failure.unlink(missing_ok=True)
        raise
    finally:
        for reader in readers:
            reader.join(timeout=5)
    if process.returncode != 0:
        if remove_on_failure:
            remove_on_failure.unlink(missing_ok=True)
        tail = " | ".join(line for line in stderr_tail if line)[-600:]
        if timed_out:
            raise FFmpegError(f"ffmpeg ran past its {timeout:g}s timeout and was stopped: {tail}")
        raise FFmpegError(f"ffmpeg exited with code {process.returncode}: {tail}")
    if on_progress:
        on_progress(1.0)


@dataclass
class MediaInfo:
    duration: float
    video_codec: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    pix_fmt: str | None = None
    audio_codec: str | None = None
    sample_rate: int | None = None
    frames: int | None = None


VIDEO = re.compile(r"Stream #\S+.*?: Video: (\w+)[^,]*(?:\([^)]*\))?, (\w+)(?:\([^)]*\))?, (\d+)x(\d+)")
FPS = re.compile(r"([\d.]+) fps")
AUDIO = re.compile(r"Stream #\S+.*?: Audio: (\w+).*?, (\d+) Hz")
DECODED = ("-map", "0:v?", "-map", "0:a?")  # a subtitle stream is not decoded to measure a file


def probe(path: Path) -> MediaInfo:
    """Codec, size, fps and exact duration (by decoding) of a media file; ffprobe is not shipped."""
    result = subprocess.run(
        [binary(), "-hide_banner", "-nostdin", "-i", str(path), *DECODED, "-f", "null", "-"],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=300,
    )
    if result.returncode != 0:
        raise FFmpegError(f"cannot read {path.name}")
    info = MediaInfo(duration=0.0)
    if match := VIDEO.search(result.stderr):
        info.video_codec, info.pix_fmt = match.group(1), match.group(2)
        info.width, info.height = int(match.group(3)), int(match.group(4))
        line = result.stderr[match.start() : result.stderr.find("\n", match.start())]
        if fps := FPS.search(line):
            info.fps = float(fps.group(1))
    if match := AUDIO.search(result.stderr):
        info.audio_codec, info.sample_rate = match.group(1), int(match.group(2))
    times = re.findall(r"time=(\d+):(\d+):([\d.]+)", result.stderr)
    if times:
        hours, minutes, seconds = times[-1]
        info.duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    if frames := re.findall(r"frame=\s*(\d+)", result.stderr):
        info.frames = int(frames[-1])
    return info
