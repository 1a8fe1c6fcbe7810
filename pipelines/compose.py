"""Compose: clips, narration, music and subtitles into one H.264/AAC mp4 in a single ffmpeg run.

The filtergraph is built only from numbers and our own names; user text (subtitles) reaches
ffmpeg through an .ass file that ffmpeg reads from its working folder, never inside the graph.
"""

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from models.cancel import CancelToken
from pipelines import ffmpeg
from pipelines.artifact_store import partial, write_text
from pipelines.fonts import Font, missing_glyphs
from pipelines.loudness import normalize
from pipelines.subtitles import Cue, hold, scene_cues, srt, vtt

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
ALL_TRANSITIONS = (*TRANSITIONS, "none")


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
class MusicBed:
    track: Path
    volume: float = 0.25
    fade_in: float = 1.5
    fade_out: float = 2.0
    duck: bool = True  # the narration keys a compressor on the music


@dataclass
class Composition:
    video: Path
    subtitles: Path | None
    duration: float
    starts: list[float]
    warnings: list[str]


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


def transitions(scenes, overlaps, fps) -> list[str]:
    """Join the normalised clips [v0]..[vN] into [joined], blending only where they overlap.

    Each clip is cut (by frame number) into head, body and tail; xfade runs on the few frames of
    each tail + next head, and concat passes the bodies through untouched. Chaining xfade over
    whole clips would push every frame of the video through every transition after it.
    """
    parts, sequence, count = [], [], len(scenes)
    for i, scene in enumerate(scenes):
        frames = round(scene.duration * fps)
        head = round(overlaps[i - 1] * fps) if i else 0
        tail = round(overlaps[i] * fps) if i < count - 1 else 0
        pieces = [("h", 0, head)] if head else []
        pieces += [("b", head, frames - tail)] if frames - tail > head else []
        pieces += [("t", frames - tail, frames)] if tail else []
        labels = "".join(f"[{kind}{i}]" for kind, _, _ in pieces)
        parts.append(f"[v{i}]split={len(pieces)}{labels}" if len(pieces) > 1 else f"[v{i}]null{labels}")
        for kind, start, end in pieces:
            parts[-1] += f";[{kind}{i}]trim=start_frame={start}:end_frame={end},setpts=PTS-STARTPTS[{kind}{i}c]"
        if any(kind == "b" for kind, _, _ in pieces):
            sequence.append(f"[b{i}c]")
        if tail:
            kind = TRANSITIONS[scenes[i].transition]
            parts.append(f"[t{i}c][h{i + 1}c]xfade=transition={kind}:duration={tail / fps:.6f}:offset=0[f{i}]")
            sequence.append(f"[f{i}]")
    parts.append(f"{''.join(sequence)}concat=n={len(sequence)}:v=1:a=0[joined]")
    return parts


def filtergraph(scenes, starts, overlaps, total, width, height, fps, music: MusicBed | None, subtitles) -> str:
    parts = []
    for i in range(len(scenes)):
        parts.append(
            f"[{i}:v]scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height},"
            f"setsar=1,fps={fps},format=yuv420p,settb=AVTB[v{i}]"
        )
    parts += transitions(scenes, overlaps, fps)
    video_out = "joined"
    if subtitles:
        parts.append("[joined]ass=filename=subtitles.ass:fontsdir=fonts[vsub]")
        video_out = "vsub"
    parts.append(f"[{video_out}]trim=duration={total:.4f},setpts=PTS-STARTPTS[vout]")

    voices = []
    audio_input = len(scenes)
    for i, scene in enumerate(scenes):
        if scene.audio is None:
            continue
        delay = round(starts[i] * 1000)
        parts.append(
            f"[{audio_input}:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,"
            f"adelay={delay}|{delay}[a{i}]"
        )
        voices.append(f"[a{i}]")
        audio_input += 1
    if voices:
        parts.append(f"{''.join(voices)}amix=inputs={len(voices)}:normalize=0:duration=longest,apad[voice]")
    else:
        parts.append("anullsrc=r=48000:cl=stereo[voice]")
    if music is None:
        parts.append(f"[voice]atrim=duration={total:.4f}[aout]")
        return ";".join(parts)
    music_index = audio_input
    fade_out = min(music.fade_out, total)
    fades = f"afade=t=in:d={music.fade_in:.3f}," if music.fade_in else ""
    fades += f"afade=t=out:st={total - fade_out:.3f}:d={fade_out:.3f}," if fade_out else ""
    parts.append(
        f"[{music_index}:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,"
        f"atrim=duration={total:.4f},{fades}volume={music.volume:.4f}[music]"
    )
    if music.duck:
        parts += [
            f"[voice]atrim=duration={total:.4f},asplit=2[vmix][vkey]",
            # The voice keys a compressor on the music: music dips under speech and returns between lines.
            "[music][vkey]sidechaincompress=threshold=0.02:ratio=10:attack=15:release=400[ducked]",
            "[vmix][ducked]amix=inputs=2:normalize=0:duration=first[aout]",
        ]
    else:
        parts += [
            f"[voice]atrim=duration={total:.4f}[vmix]",
            "[vmix][music]amix=inputs=2:normalize=0:duration=first[aout]",
        ]
    return ";".join(parts)


def compose(
    scenes: list[TimelineScene],
    out: Path,
    *,
    width: int,
    height: int,
    fps: int,
    transition_seconds: float = 0.5,
    music: MusicBed | None = None,
    subtitles: bool = True,
    font: Font | None = None,
    loudness: float | None = -16.0,
    cancel: CancelToken | None = None,
    on_progress: Callable[[float], None] | None = None,
    timeout: float = 1800.0,
) -> Composition:
    if not scenes:
        raise ValueError("nothing to compose")
    for scene in scenes:
        check_transition(scene.transition)
    starts, overlaps, total = timeline(scenes, transition_seconds, fps)
    timeout = min(timeout, 120 + 20 * total)  # far above any real encode: a stuck ffmpeg ends in minutes
    warnings: list[str] = []
    cues = hold(
        [
            cue
            for start, scene in zip(starts, scenes, strict=True)
            for cue in scene_cues(scene.text, start, scene.speech_seconds, scene.cues)
        ]
    )
    srt_path, vtt_path = out.with_suffix(".srt"), out.with_suffix(".vtt")
    burn = subtitles and bool(cues)
    if burn and font is None:
        raise ValueError("subtitles need a font")
    ass = ass_file(cues, width, height, font.family if font else "sans-serif")
    with tempfile.TemporaryDirectory(prefix=".compose-", dir=out.parent) as work:
        work_dir = Path(work)
        if burn:
            missing = missing_glyphs(font, "".join(line for cue in cues for line in cue.lines))
            if missing:
                warnings.append(
                    f"the subtitle font {font.family} lacks {len(missing)} character(s); they show as boxes"
                )
            (work_dir / "subtitles.ass").write_text(ass, encoding="utf-8")
            (work_dir / "fonts").mkdir()
            os.symlink(font.file, work_dir / "fonts" / font.file.name)
        inputs = [arg for scene in scenes for arg in ("-i", str(scene.clip))]
        inputs += [arg for scene in scenes if scene.audio for arg in ("-i", str(scene.audio))]
        if music is not None:
            inputs += ["-stream_loop", "-1", "-i", str(music.track)]
        graph = filtergraph(scenes, starts, overlaps, total, width, height, fps, music, burn)
        (work_dir / "graph.txt").write_text(graph)
        target = partial(out)
        ffmpeg.run(
            [
                *inputs,
                "-/filter_complex",  # the graph is read from a file: no length limit, no shell
                "graph.txt",
                "-map",
                "[vout]",
                "-map",
                "[aout]",
                *("-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-r", str(fps)),
                *("-c:a", "aac", "-b:a", "160k", "-ar", "48000"),
                # -frames:v as well as -t: a frame count stops the encode even if a timestamp goes astray
                *("-frames:v", str(round(total * fps)), "-movflags", "+faststart", "-t", f"{total:.4f}"),
                str(target.resolve()),
            ],
            duration=total,
            cancel=cancel,
            on_progress=on_progress,
            timeout=timeout,
            cwd=work_dir,
            remove_on_failure=target,
        )
        if loudness is not None:  # the mix to the streaming level, with a true-peak ceiling
            levelled = work_dir / f"levelled{out.suffix}"
            if normalize(target, levelled, loudness, cancel=cancel, timeout=timeout):
                os.replace(levelled, target)
        os.replace(target, out)
    if cues:
        write_text(srt_path, srt(cues))
        write_text(vtt_path, vtt(cues))
    return Composition(out, srt_path if cues else None, total, starts, warnings)
