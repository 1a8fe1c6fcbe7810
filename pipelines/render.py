"""Render: [topic ->] storyboard -> frames -> narration -> clips -> compose, with progress and cancel.

`generate` runs the model stages and `finish` the ffmpeg composition, so a server can hand the
second to an ffmpeg pool while its GPU worker starts on the next task; `render` runs both.

A render starts from a story, a topic (the LLM writes the story), or a storyboard of shots, each
of which may carry its own keyframe, narration audio, duration, motion, camera and transition:
what a shot carries is used, not made. Every stage output comes from the owner's artifact store
when the same work was done before, and is linked into the task folder (storyboard.json,
frames/, audio/, clips/), so sending the same storyboard with one shot changed remakes that shot.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from models.cancel import CancelToken
from pipelines import clips as clips_stage
from pipelines.artifact_store import ArtifactStore, write_json
from pipelines.cast import described, dialogue, identities, make_designs
from pipelines.compose import TimelineScene, compose
from pipelines.dialogue import cast_voices
from pipelines.fonts import Font, find_font
from pipelines.frames import make_frames, scene_seed
from pipelines.music import background, load_music, music_bed
from pipelines.narration import duration_of, make_narration
from pipelines.planning import plan
from pipelines.render_options import (
    ImageOptions,
    MusicOptions,
    RenderOptions,
    Source,
    VideoOptions,
    check_inputs,
)
from pipelines.specs import Audio, Character, Clip, ClipSpec, Frame, FrameSpec, Line, Shot, Storyboard
from pipelines.story_writer import WrittenStory

__all__ = ["ImageOptions", "MusicOptions", "RenderOptions", "VideoOptions", "render"]

STAGES = ("storyboard", "frames", "narration", "clips", "compose")
UNTIL = ("storyboard", "keyframes", "narration", "clips", "video")  # how far a render goes
WEIGHTS = {"storyboard": 0.1, "frames": 0.3, "narration": 0.1, "clips": 0.3, "compose": 0.2}
PAD_SECONDS = 0.6  # silence after each scene's narration before the next begins
MIN_SCENE_SECONDS = 2.0


class RenderResult(BaseModel):
    video: Path
    subtitles: Path | None
    duration: float
    storyboard: Storyboard
    story: WrittenStory | None  # what the LLM wrote, when the render started from a topic
    frames: list[Frame]
    clips: list[Clip]
    audios: list[Audio]
    warnings: list[str]
    timings: dict[str, float]
    designs: dict[str, Path] = {}


@dataclass
class Generated:
    """What the model stages made, and what composition needs to finish the video."""

    storyboard: Storyboard
    shots: list[Shot]
    story: WrittenStory | None
    frames: list[Frame]
    audios: list[Audio]
    clips: list[Clip]
    width: int
    height: int
    overlap: float
    font: Font | None
    warnings: list[str]
    timings: dict[str, float]
    music: Path | None = None  # the bed: a user's track or one the music model composed
    designs: dict[str, Path] = field(default_factory=dict)  # each character's design portrait
    store: ArtifactStore | None = None  # where the stages' artifacts (and composition's segments) live


Progress = Callable[[str, float], None]
ItemHook = Callable[[str, str, Path], None]  # scene_id, "keyframe" | "narration" | "clip", the file


def scene_seconds(speech: float, transition: float) -> float:
    return max(MIN_SCENE_SECONDS, speech + PAD_SECONDS) + transition


def _stage_starter(report: Progress, cancel: CancelToken):
    def stage(name: str):
        report(name, 0.0)
        cancel.raise_if_cancelled(boundary=True)
        return time.perf_counter(), (lambda fraction: report(name, fraction))

    return stage


def carried(store: ArtifactStore, given: Path, folder: Path, scene_id: str) -> Path:
    """A file the caller's shot carries, linked into the task folder beside the ones it made."""
    return store.place(given, folder / f"{scene_id}{given.suffix.lower()}")


def generate(
    source: Source,
    task_dir: Path,
    registry,
    options: RenderOptions,
    store: ArtifactStore,
    *,
    cast: list[Character] = (),
    until: str = "clips",
    only: set[str] | None = None,
    cancel: CancelToken | None = None,
    on_progress: Progress | None = None,
    on_item: ItemHook | None = None,
) -> Generated:
    """The model stages up to `until` (cast, keyframes, narration or clips), for every shot or for
    the shots in `only` (the others keep their place: a clip's length depends on its neighbours).
    `cast`: the caller's characters (references, voices), merged with the storyboard's.
    `on_item(scene_id, "keyframe" | "narration" | "clip", path)` hears of each file once it is in
    place, and `on_item(name, "design", path)` of each character's design portrait."""
    settings = registry.settings
    cancel = cancel or CancelToken()
    report = on_progress or (lambda stage, fraction: None)
    told = on_item or (lambda scene_id, what, path: None)
    image_size, (width, height) = check_inputs(source, options, settings)  # before any model is touched
    font = find_font(settings.font_file) if options.subtitles else None
    task_dir.mkdir(parents=True, exist_ok=True)
    warnings: list[str] = []
    timings: dict[str, float] = {}

    stage = _stage_starter(report, cancel)
    started, progress = stage("storyboard")
    board, shots, written, base_seed = plan(source, options, registry, store, cancel, cast)
    write_json(task_dir / "storyboard.json", board.model_dump(mode="json"))
    warnings += board.warnings
    seeds = {s.scene_id: s.seed if s.seed is not None else scene_seed(base_seed, s.scene_id) for s in shots}
    chosen = [s for s in shots if only is None or s.scene_id in only]
    made = Generated(
        storyboard=board,
        shots=shots,
        story=written,
        frames=[],
        audios=[],
        clips=[],
        width=width,
        height=height,
        overlap=options.video.transition_duration,
        font=font,
        warnings=warnings,
        timings=timings,
        store=store,
    )
    timings["storyboard"] = time.perf_counter() - started
    progress(1.0)
    if until == "storyboard":
        return made

    started, progress = stage("frames")
    drawing = board.characters or any(s.frame is None for s in chosen)
    drawn, t2i = {}, registry.get("t2i") if drawing else None  # every shot brought its own: no model to load
    made.designs = designs = make_designs(
        board.characters,
        task_dir / "cast",
        t2i,
        store,
        style=options.style,
        max_pixels=settings.max_pixels,
        steps=options.image.num_steps,
        guidance=options.image.cfg_scale,
        cancel=cancel,
        on_item=lambda name, path: told(name, "design", path),
    )
    if until == "cast":
        return made
    faces = {s.scene_id: identities(s, board.characters, designs) for s in chosen}
    if any(faces.values()) and not t2i.takes_identities:
        warnings.append("no IP-Adapter weights: characters are kept alike by their descriptions only")
        faces = {}
    to_draw = [
        FrameSpec(
            scene_id=s.scene_id,
            prompt=described(s, board.characters),
            negative_prompt=s.negative_prompt,
            seed=seeds[s.scene_id],
            identities=faces.get(s.scene_id, []),
        )
        for s in chosen
        if s.frame is None
    ]
    if to_draw:
        for frame in make_frames(
            to_draw,
            task_dir / "frames",
            t2i,
            store,
            width=image_size[0],
            height=image_size[1],
            steps=options.image.num_steps,
            guidance=options.image.cfg_scale,
            batch=settings.t2i_batch,
            cancel=cancel,
            on_progress=progress,
            on_item=lambda f: told(f.scene_id, "keyframe", f.frame),
        ):
            drawn[frame.scene_id] = frame
    for s in chosen:
        if s.scene_id not in drawn:
            drawn[s.scene_id] = Frame(
                scene_id=s.scene_id,
                frame=carried(store, s.frame, task_dir / "frames", s.scene_id),
                seed=seeds[s.scene_id],
            )
            told(s.scene_id, "keyframe", drawn[s.scene_id].frame)
    made.frames = [drawn[s.scene_id] for s in chosen]
    timings["frames"] = time.perf_counter() - started
    if until == "keyframes":
        return made

    started, progress = stage("narration")
    spoken = {}
    tts = registry.get("tts")
    cast = cast_voices(board.characters, tts.character_voices(board.language), options.voice)
    board.characters = cast  # the voices each character was given go back with the storyboard
    voices = {s.scene_id: s.voice or options.voice for s in chosen}
    to_speak = [
        Line(scene_id=s.scene_id, text=s.narration, variant=s.voice_variant, parts=dialogue(s, cast))
        for s in chosen
        if s.audio is None
    ]
    for voice in dict.fromkeys(voices[line.scene_id] for line in to_speak):  # one pass per voice
        for audio in make_narration(
            [line for line in to_speak if voices[line.scene_id] == voice],
            task_dir / "audio",
            tts,
            store,
            voice=voice,
            speed=options.speed,
            language=board.language,
            cancel=cancel,
            on_progress=progress,
            on_item=lambda a: told(a.scene_id, "narration", a.audio),
            timeout=settings.ffmpeg_timeout,
        ):
            spoken[audio.scene_id] = audio
    for s in chosen:
        if s.scene_id not in spoken:
            path = carried(store, s.audio, task_dir / "audio", s.scene_id)
            spoken[s.scene_id] = Audio(scene_id=s.scene_id, audio=path, duration=round(duration_of(path), 3))
            told(s.scene_id, "narration", path)
    made.audios = [spoken[s.scene_id] for s in chosen]
    timings["narration"] = time.perf_counter() - started
    if until == "narration":
        return made

    started, progress = stage("clips")
    specs = []
    for i, s in enumerate(shots):
        if s.scene_id not in drawn:
            continue
        transition = s.transition or options.video.transition
        joined = made.overlap if transition != "none" and i < len(shots) - 1 else 0.0
        speech = spoken[s.scene_id].duration
        duration = s.duration if s.duration is not None else scene_seconds(speech, joined)
        if s.duration is not None and speech > s.duration - joined:
            warnings.append(f"{s.scene_id}: its narration ({speech:.1f} s) is longer than the shot; it runs over")
        specs.append(
            ClipSpec(
                scene_id=s.scene_id,
                frame=drawn[s.scene_id].frame,
                duration=duration,
                transition=transition,
                motion=s.motion or options.video.motion,
                prompt=described(s, board.characters),
                camera=s.camera,
                seed=s.clip_seed if s.clip_seed is not None else seeds[s.scene_id],
            )
        )
    animate = any(spec.motion == "i2v" for spec in specs)
    made.clips, clip_warnings = clips_stage.make_clips(
        specs,
        task_dir / "clips",
        store,
        fps=options.video.fps,
        width=width,
        height=height,
        i2v=clips_stage.load_i2v(registry, warnings) if animate else None,
        settings=settings,
        cancel=cancel,
        on_progress=progress,
        on_item=lambda c: told(c.scene_id, "clip", c.clip),
        timeout=settings.ffmpeg_timeout,
    )
    warnings += clip_warnings
    timings["clips"] = time.perf_counter() - started
    if options.music is not None and options.music.track is None:
        seconds = sum(c.duration for c in made.clips) - made.overlap * max(len(made.clips) - 1, 0)
        moods = [s.bgm for s in shots]
        made.music = background(settings.music_dir, load_music(registry, warnings), moods, seconds, store)
    return made


def finish(
    made: Generated,
    task_dir: Path,
    settings,
    options: RenderOptions,
    *,
    cancel: CancelToken | None = None,
    on_progress: Progress | None = None,
) -> RenderResult:
    cancel = cancel or CancelToken()
    report = on_progress or (lambda stage, fraction: None)
    shots, clips, audios = made.shots, made.clips, made.audios
    warnings, timings = list(made.warnings), dict(made.timings)
    started, progress = _stage_starter(report, cancel)("compose")
    music = music_bed(options.music, made.music, warnings)
    composition = compose(
        [
            TimelineScene(
                c.clip, c.duration, s.transition or options.video.transition, a.audio, a.duration, s.narration, a.cues
            )
            for s, c, a in zip(shots, clips, audios, strict=True)
        ],
        task_dir / "final.mp4",
        width=made.width,
        height=made.height,
        fps=options.video.fps,
        transition_seconds=made.overlap,
        music=music,
        subtitles=options.subtitles,
        font=made.font,
        loudness=settings.loudness_lufs,
        store=made.store,
        cancel=cancel,
        on_progress=progress,
        timeout=settings.ffmpeg_timeout,
    )
    warnings += composition.warnings
    timings["compose"] = time.perf_counter() - started
    return RenderResult(
        video=composition.video,
        subtitles=composition.subtitles,
        duration=round(composition.duration, 3),
        storyboard=made.storyboard,
        story=made.story,
        frames=made.frames,
        clips=clips,
        audios=audios,
        warnings=warnings,
        timings={k: round(v, 3) for k, v in timings.items()},
        designs=made.designs,
    )


def render(
    source: Source,
    task_dir: Path,
    registry,
    options: RenderOptions | None = None,
    store: ArtifactStore | None = None,
    *,
    cancel: CancelToken | None = None,
    on_progress: Progress | None = None,
) -> RenderResult:
    """The whole chain; without a store, artifacts are kept in the data folder's shared store."""
    options = options or RenderOptions()
    store = store or ArtifactStore(registry.settings.data_dir / "artifacts")
    made = generate(source, task_dir, registry, options, store, cancel=cancel, on_progress=on_progress)
    return finish(made, task_dir, registry.settings, options, cancel=cancel, on_progress=on_progress)
