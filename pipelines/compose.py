"""Compose: clips, narration, music and subtitles into one H.264/AAC mp4, in segments.

The picture is cut into bodies and joints (`pipelines.segments`), each encoded on its own (in
parallel, kept in the artifact store) and joined with `-c copy`; the sound is cut into per-shot
stems, each mixed, measured, levelled and encoded on its own and joined the same way
(`pipelines.soundtrack`). Subtitles are burned into the picture, or carried as a `mov_text`
stream beside it, or both; the .srt and .vtt are written in every mode. User text reaches ffmpeg
only through .ass files, never inside a graph.
"""

import math
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from models.cancel import CancelToken
from pipelines import ffmpeg
from pipelines.artifact_store import ArtifactStore, partial, write_text
from pipelines.fonts import Font, missing_glyphs
from pipelines.loudness import RATE
from pipelines.segments import Encoder, SegmentJob, cut, local_cues
from pipelines.shot import TRANSITIONS as ALL_TRANSITIONS
from pipelines.soundtrack import PRIMING, MusicBed, soundtrack
from pipelines.subtitles import BURNED, CARRIED, MODES, Cue, hold, iso639_2, scene_cues, srt, vtt

# Names a client may ask for, mapped to ffmpeg's xfade transitions; "none" is a straight cut.
TRANSITIONS = {
    "crossfade": "fade",
    "fade": "fade",
    "fadeblack": "fadeblack",
    "fadewhite": "fadewhite",
    "dissolve": "dissolve",
    "wipeleft": "wipeleft",
    "wiperight": "wiperight",
    "slideleft": "slideleft",
    "slideright": "slideright",
    "circleopen": "circleopen",
    "radial": "radial",
    "smoothleft": "smoothleft",
    "zoomin": "zoomin",
}


@dataclass
class TimelineScene:
    clip: Path
    duration: float  # the clip's length
    transition: str = "crossfade"  # into the next scene
    audio: Path | None = None
    speech_seconds: float = 0.0
    text: str = ""
    cues: list = field(default_factory=list)  # the narration's sentences: (start, end, text) in its audio


@dataclass
class Composition:
    video: Path
    subtitles: Path | None
    duration: float
    starts: list[float]
    warnings: list[str]
    encoded: list[str] = field(default_factory=list)  # segments and stems made by this run; the rest were kept
    loudness: float = -math.inf  # the mix's integrated loudness before levelling (LUFS), summed from its stems
    gain: float = 0.0  # dB: the levelling
    cues: list[Cue] = field(default_factory=list)  # the film's subtitles, in its time


def check_transition(name: str) -> None:
    if name not in ALL_TRANSITIONS:
        raise ValueError(f"transition must be one of {', '.join(ALL_TRANSITIONS)}")


def timeline(
    scenes: list[TimelineScene], transition_seconds: float, fps: int | None = None
) -> tuple[list[float], list[float], float]:
    """Each scene's start, each boundary's overlap, and the total: sum of clips minus overlaps.

    With `fps`, overlaps are whole frames, so the cut points the filtergraph uses fall on frames.
    """
    starts, overlaps, cursor = [], [], 0.0
    for index, scene in enumerate(scenes):
        starts.append(cursor)
        last = index == len(scenes) - 1
        overlap = 0.0 if last or scene.transition == "none" else transition_seconds
        overlap = min(overlap, scene.duration / 2, scenes[index + 1].duration / 2) if not last else 0.0
        if fps:
            overlap = int(overlap * fps + 1e-6) / fps  # 0.58 * 50 is 28.999...: still 29 frames
        overlaps.append(overlap)
        cursor += scene.duration - overlap
    return starts, overlaps, cursor


def ass_text(line: str) -> str:
    # "{" opens an override block and "\" an escape in ASS; show them as their full-width forms.
    return line.replace("\\", "＼").replace("{", "｛").replace("}", "｝")


def ass_time(seconds: float) -> str:
    centis = round(seconds * 100)
    hours, rest = divmod(centis, 360000)
    minutes, rest = divmod(rest, 6000)
    secs, centis = divmod(rest, 100)
    return f"{hours:d}:{minutes:02d}:{secs:02d}.{centis:02d}"


def ass_file(cues: list[Cue], width: int, height: int, family: str) -> str:
    """The burn-in's script: the cues' own lines (already broken to the guide), bottom centre."""
    size = max(12, round(min(width, height) * 0.055))
    margin = round(width * 0.06)
    events = []
    for cue in cues:
        joined = r"\N".join(ass_text(line) for line in cue.lines)
        events.append(f"Dialogue: 0,{ass_time(cue.start)},{ass_time(cue.end)},Default,,0,0,0,,{joined}")
    ass = "\n".join(
        [
            "[Script Info]",
            "ScriptType: v4.00+",
            f"PlayResX: {width}",
            f"PlayResY: {height}",
            "WrapStyle: 0",
            "ScaledBorderAndShadow: yes",
            "",
            "[V4+ Styles]",
            "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
            "Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
            "Alignment, MarginL, MarginR, MarginV, Encoding",
            f"Style: Default,{family},{size},&H00FFFFFF,&H000000FF,&H00101010,&H80000000,0,0,0,0,100,100,0,0,"
            f"1,{max(1, size // 14)},1,2,{margin},{margin},{round(height * 0.06)},1",
            "",
            "[Events]",
            "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
            *events,
            "",
        ]
    )
    return ass


def segment_jobs(
    scenes: list[TimelineScene], frames: list[int], tails: list[int], cues: list[Cue], encoder: Encoder
) -> list[SegmentJob]:
    """The film's segments in playing order, each with the subtitles it shows."""
    fps, jobs = encoder.fps, []
    for segment in cut([s.clip for s in scenes], frames, tails, [TRANSITIONS.get(s.transition, "") for s in scenes]):
        shown = local_cues(cues, segment.start / fps, (segment.start + segment.frames) / fps)
        ass = ass_file(shown, encoder.width, encoder.height, encoder.font.family) if shown else None
        jobs.append(encoder.job(segment, ass))
    return jobs


def frame_plan(scenes: list[TimelineScene], transition_seconds: float, fps: int):
    """Each scene's start (s, on its first frame), its length and its overlap with the next
    (frames), the film's frames."""
    _, overlaps, _ = timeline(scenes, transition_seconds, fps)
    frames = [round(scene.duration * fps) for scene in scenes]
    tails = [round(overlap * fps) for overlap in overlaps]
    firsts = [sum(frames[:i]) - sum(tails[:i]) for i in range(len(scenes))]
    return [first / fps for first in firsts], frames, tails, sum(frames) - sum(tails)


def film_cues(scenes: list[TimelineScene], starts: list[float]) -> list[Cue]:
    return hold(
        [
            cue
            for start, scene in zip(starts, scenes, strict=True)
            for cue in scene_cues(scene.text, start, scene.speech_seconds, scene.cues)
        ]
    )


def compose(
    scenes: list[TimelineScene],
    out: Path,
    *,
    width: int,
    height: int,
    fps: int,
    transition_seconds: float = 0.5,
    music: MusicBed | None = None,
    subtitles: str = "burn",
    language: str = "und",
    font: Font | None = None,
    loudness: float | None = -16.0,
    store: ArtifactStore | None = None,
    workers: int | None = None,
    cancel: CancelToken | None = None,
    on_progress: Callable[[float], None] | None = None,
    timeout: float = 1800.0,
) -> Composition:
    """`subtitles`: "burn", "soft", "both" or "none"; `language`: the narration's (ISO 639-1),
    the soft stream's tag. Without a `store`, segments and stems live in a scratch store for this
    call only."""
    if not scenes:
        raise ValueError("nothing to compose")
    for scene in scenes:
        check_transition(scene.transition)
    starts, frames, tails, total_frames = frame_plan(scenes, transition_seconds, fps)
    total = total_frames / fps
    timeout = min(timeout, 120 + 20 * total)  # far above any real encode: a stuck ffmpeg ends in minutes
    warnings: list[str] = []
    if subtitles not in MODES:
        raise ValueError(f"subtitles must be one of {', '.join(MODES)}")
    cues = film_cues(scenes, starts)
    burn, soft = subtitles in BURNED and bool(cues), subtitles in CARRIED and bool(cues)
    if burn and font is None:
        raise ValueError("subtitles need a font")
    if burn and (missing := missing_glyphs(font, "".join(line for cue in cues for line in cue.lines))):
        warnings.append(f"the subtitle font {font.family} lacks {len(missing)} character(s); they show as boxes")
    report = on_progress or (lambda fraction: None)
    with tempfile.TemporaryDirectory(prefix=".compose-", dir=out.parent) as work:
        work_dir = Path(work)
        store = store or ArtifactStore(work_dir / "scratch")
        encoder = Encoder(
            store,
            width=width,
            height=height,
            fps=fps,
            font=font,
            timeout=timeout,
            workers=workers,
        )
        jobs = segment_jobs(scenes, frames, tails, cues if burn else [], encoder)
        audios = [scene.audio for scene in scenes]
        samples = [round(start * RATE) for start in starts]
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="soundtrack") as side:
            # The sound is mixed, measured and encoded while the picture encodes.
            sound = side.submit(
                soundtrack,
                audios,
                samples,
                round(total * RATE),
                music,
                loudness,
                store,
                work_dir / "soundtrack.aac",
                cancel=cancel,
                timeout=timeout,
            )
            files, encoded = encoder.encode_all(jobs, cancel, lambda f: report(0.9 * f))
            track = sound.result()
        encoded += track.made
        warnings += track.warnings
        listing = work_dir / "segments.txt"
        listing.write_text("".join(f"file '{path.resolve()}'\n" for path in files))
        inputs = ["-f", "concat", "-safe", "0", "-i", str(listing), "-itsoffset", f"{-PRIMING:.6f}"]
        inputs += ["-i", str(track.stream.resolve())]
        streams = ["-map", "0:v", "-map", "1:a", "-c", "copy"]
        if soft:  # from the burn-in's own script: the text as it is drawn, no markup of the user's read as such
            script = work_dir / "subtitles.ass"
            script.write_text(ass_file(cues, width, height, font.family if font else "sans-serif"), encoding="utf-8")
            inputs += ["-i", str(script.resolve())]
            streams += ["-map", "2:s", "-c:s", "mov_text", "-metadata:s:s:0", f"language={iso639_2(language)}"]
        target = partial(out)
        ffmpeg.run(
            [
                *inputs,
                *streams,
                *("-frames:v", str(total_frames), "-t", f"{total:.4f}", "-movflags", "+faststart"),
                str(target.resolve()),
            ],
            duration=total,
            cancel=cancel,
            timeout=timeout,
            remove_on_failure=target,
        )
        os.replace(target, out)
    srt_path, vtt_path = out.with_suffix(".srt"), out.with_suffix(".vtt")
    if cues:
        write_text(srt_path, srt(cues))
        write_text(vtt_path, vtt(cues))
    report(1.0)
    subtitle_file = srt_path if cues else None
    return Composition(out, subtitle_file, total, starts, warnings, encoded, track.loudness, track.gain, cues=cues)
