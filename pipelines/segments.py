"""Segments: the film's picture cut into pieces that depend on as little as possible.

Each scene's body (its frames outside any transition) and each joint (the overlap of two scenes,
where the transition blends them) is encoded on its own, with identical encoder settings, as a
closed GOP that starts on a keyframe; the concat demuxer then joins them with `-c copy`. A segment
is a content-addressed artifact: its key holds the clip(s) it reads, the frames it takes, the
transition, the size and rate, the encoder settings and its part of the subtitles, so after a
one-shot edit only that shot's body and its two joints are encoded again.
"""

import os
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from models.cancel import CancelToken
from pipelines import ffmpeg
from pipelines.artifact_store import ArtifactStore, content_key, key_of
from pipelines.fonts import Font
from pipelines.subtitles import Cue

# One set of settings for every segment: concat with -c copy needs identical streams. Closed GOPs
# and no scene-cut keyframes keep each segment self-contained and its bitstream predictable.
ENCODER = (
    *("-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-profile:v", "high"),
    *("-x264-params", "scenecut=0:open-gop=0"),
)
SEGMENT_VERSION = 1  # bump when what a segment holds changes for the same inputs


@dataclass(frozen=True)
class Piece:
    clip: Path
    first: int  # frame numbers within the clip, end excluded
    end: int


@dataclass(frozen=True)
class Segment:
    name: str  # "body-3", "joint-2": scene numbers from 0
    start: int  # the segment's first frame in the film
    pieces: tuple[Piece, ...]  # one for a body; the outgoing tail and incoming head for a joint
    transition: str = ""  # the xfade name, joints only

    @property
    def frames(self) -> int:
        return self.pieces[0].end - self.pieces[0].first


def cut(clips: list[Path], frames: list[int], tails: list[int], transitions: list[str]) -> list[Segment]:
    """The film as bodies and joints in playing order. `tails[i]`: frames scene i shares with i + 1."""
    segments, cursor = [], 0
    for i, (clip, count) in enumerate(zip(clips, frames, strict=True)):
        head = tails[i - 1] if i else 0
        tail = tails[i]
        if count - tail > head:
            segments.append(Segment(f"body-{i}", cursor, (Piece(clip, head, count - tail),)))
            cursor += count - tail - head
        if tail:
            pieces = (Piece(clip, count - tail, count), Piece(clips[i + 1], 0, tail))
            segments.append(Segment(f"joint-{i}", cursor, pieces, transitions[i]))
            cursor += tail
    return segments


def local_cues(cues: list[Cue], start: float, end: float) -> list[Cue]:
    """The cues shown between `start` and `end` of the film, in the segment's own time."""
    return [
        Cue(max(0.0, cue.start - start), min(end, cue.end) - start, cue.lines)
        for cue in cues
        if cue.start < end and cue.end > start
    ]


def seek(piece: Piece, fps: int) -> list[str]:
    """Input options that start decoding near the piece (at the keyframe before it, dropping the
    frames in between) instead of at the clip's start: half a frame early, so no frame is lost."""
    return ["-ss", f"{(piece.first - 0.5) / fps:.6f}"] if piece.first else []


def graph(segment: Segment, width: int, height: int, fps: int, burn: bool) -> str:
    """Only numbers and our own names: user text reaches ffmpeg through the .ass file. Each input
    starts at its piece's first frame (see `seek`), so the trim keeps the piece's length."""
    parts = []
    for i, piece in enumerate(segment.pieces):
        parts.append(
            f"[{i}:v]setpts=PTS-STARTPTS,scale={width}:{height}:force_original_aspect_ratio=increase,"
            f"crop={width}:{height},setsar=1,fps={fps},format=yuv420p,settb=AVTB,"
            f"trim=end_frame={piece.end - piece.first},setpts=PTS-STARTPTS[p{i}]"
        )
    if segment.transition:
        duration = segment.frames / fps
        parts.append(f"[p0][p1]xfade=transition={segment.transition}:duration={duration:.6f}:offset=0[joined]")
    else:
        parts.append("[p0]null[joined]")
    parts.append("[joined]ass=filename=subtitles.ass:fontsdir=fonts[out]" if burn else "[joined]null[out]")
    return ";".join(parts)


@dataclass
class SegmentJob:
    segment: Segment
    key: str
    ass: str | None  # the segment's subtitles script, when it shows any


class Encoder:
    """Encodes the segments a film needs that the store does not have, several at a time."""

    def __init__(
        self,
        store: ArtifactStore,
        *,
        width: int,
        height: int,
        fps: int,
        font: Font | None,
        timeout: float,
        workers: int | None = None,
        codec: tuple[str, ...] = ENCODER,
    ):
        """`codec`: the encoder arguments; only a benchmark's lossless reference changes them."""
        self.store, self.width, self.height, self.fps = store, width, height, fps
        self.font, self.timeout, self.codec = font, timeout, codec
        self.workers = workers or len(os.sched_getaffinity(0))

    def job(self, segment: Segment, ass: str | None) -> SegmentJob:
        key = key_of(
            stage="segment",
            version=SEGMENT_VERSION,
            pieces=[(content_key(p.clip), p.first, p.end) for p in segment.pieces],
            transition=segment.transition,
            size=(self.width, self.height),
            fps=self.fps,
            encoder=self.codec,
            ass=ass,
            font=content_key(self.font.file) if ass and self.font else None,
        )
        return SegmentJob(segment, key, ass)

    def encode_all(
        self,
        jobs: list[SegmentJob],
        cancel: CancelToken | None = None,
        on_progress: Callable[[float], None] | None = None,
    ) -> tuple[list[Path], list[str]]:
        """Every segment's file in order, and the names of those encoded now (the rest were kept)."""
        missing = [job for job in jobs if self.store.find(job.key, ".mp4") is None]
        total = sum(job.segment.frames for job in missing) or 1
        done: dict[str, float] = {}
        lock = threading.Lock()

        def progress(name: str, frames: int) -> Callable[[float], None]:
            def report(fraction: float) -> None:
                with lock:
                    done[name] = fraction * frames
                    if on_progress:
                        on_progress(min(1.0, sum(done.values()) / total))

            return report

        stop = cancel.child() if cancel else CancelToken()  # one failure stops the others at their next poll

        def encode(job: SegmentJob) -> None:
            self.encode(job, stop, progress(job.segment.name, job.segment.frames))

        # The longest first, so the pool's last minutes are not one long body alone.
        ordered = sorted(missing, key=lambda job: -job.segment.frames)
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="segment") as pool:
            futures = [pool.submit(encode, job) for job in ordered]
            finished, _ = wait(futures, return_when=FIRST_EXCEPTION)
            errors = [f.exception() for f in finished if f.exception() is not None]
            if errors:  # the first failure is the one to report, not the others' stops it caused
                stop.cancel()
                wait(futures)
                raise errors[0]
        return [self.store.path(job.key, ".mp4") for job in jobs], [job.segment.name for job in missing]

    def encode(self, job: SegmentJob, stop: CancelToken, on_progress: Callable[[float], None]) -> None:
        segment = job.segment
        with tempfile.TemporaryDirectory(prefix=".segment-") as work, self.store.making(job.key, ".mp4") as part:
            work_dir = Path(work)
            if job.ass is not None:
                (work_dir / "subtitles.ass").write_text(job.ass, encoding="utf-8")
                (work_dir / "fonts").mkdir()
                os.symlink(self.font.file, work_dir / "fonts" / self.font.file.name)
            (work_dir / "graph.txt").write_text(graph(segment, self.width, self.height, self.fps, job.ass is not None))
            inputs = [arg for piece in segment.pieces for arg in (*seek(piece, self.fps), "-i", str(piece.clip))]
            ffmpeg.run(
                [
                    *inputs,
                    *("-/filter_complex", "graph.txt", "-map", "[out]", "-an"),
                    *self.codec,
                    *("-r", str(self.fps), "-g", str(max(1, segment.frames)), "-frames:v", str(segment.frames)),
                    str(part.resolve()),
                ],
                duration=segment.frames / self.fps,
                cancel=stop,
                on_progress=on_progress,
                timeout=self.timeout,
                cwd=work_dir,
                remove_on_failure=part,
            )
