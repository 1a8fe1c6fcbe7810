"""Render: storyboard -> frames -> narration -> clips -> compose, with progress and cancel.

`generate` runs the model stages and `finish` the ffmpeg composition, so a server can hand the
second to an ffmpeg pool while its GPU worker starts on the next task; `render` runs both.

Every stage writes under the task folder (storyboard.json, frames/, audio/, clips/, final.mp4,
final.srt) with a key beside each artifact, so running the same render again reuses what is done.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field

from models.cancel import CancelToken
from pipelines import clips as clips_stage
from pipelines.artifacts import key_of, reusable, write_json
from pipelines.compose import TimelineScene, check_transition, compose
from pipelines.fonts import Font, find_font
from pipelines.frames import MAX_SEED, make_frames, parse_resolution
from pipelines.frames import check_inputs as check_frames
from pipelines.music import pick_track
from pipelines.narration import check_speed, make_narration
from pipelines.specs import Audio, Clip, ClipSpec, Frame, FrameSpec, InvalidInput, Line, Storyboard, blame
from pipelines.storyboard import MAX_SCENES, make_storyboard
from pipelines.storyboard import check_inputs as check_story

STAGES = ("storyboard", "frames", "narration", "clips", "compose")
WEIGHTS = {"storyboard": 0.1, "frames": 0.3, "narration": 0.1, "clips": 0.3, "compose": 0.2}
PAD_SECONDS = 0.6  # silence after each scene's narration before the next begins
MIN_SCENE_SECONDS = 2.0
KEYFRAME_SIZES = {"16:9": "768x432", "9:16": "432x768", "1:1": "512x512"}


class ImageOptions(BaseModel):
    resolution: str | None = None  # default follows the aspect
    num_steps: int = 4
    cfg_scale: float = 0.0
    seed: int | None = None


class VideoOptions(BaseModel):
    fps: int = 24
    resolution: str = "720p"
    transition_duration: float = 0.5
    transition: str = "crossfade"
    motion: str = "i2v"


class RenderOptions(BaseModel):
    scene_count: int | None = None
    style: str = "cinematic storybook illustration"
    language: str = "auto"
    image: ImageOptions = Field(default_factory=ImageOptions)
    video: VideoOptions = Field(default_factory=VideoOptions)
    voice: str | None = None
    speed: float = 1.0
    music: bool = False
    subtitles: bool = True
    aspect: str = "16:9"


class RenderResult(BaseModel):
    video: Path
    subtitles: Path | None
    duration: float
    storyboard: Storyboard
    frames: list[Frame]
    clips: list[Clip]
    audios: list[Audio]
    warnings: list[str]
    timings: dict[str, float]


@dataclass
class Generated:
    """What the model stages made, and what composition needs to finish the video."""

    storyboard: Storyboard
    frames: list[Frame]
    audios: list[Audio]
    clips: list[Clip]
    width: int
    height: int
    overlap: float
    font: Font | None
    warnings: list[str]
    timings: dict[str, float]


Progress = Callable[[str, float], None]


def scene_seconds(speech: float, transition: float) -> float:
    return max(MIN_SCENE_SECONDS, speech + PAD_SECONDS) + transition


def _stage_starter(report: Progress, cancel: CancelToken):
    def stage(name: str):
        report(name, 0.0)
        cancel.raise_if_cancelled()
        return time.perf_counter(), (lambda fraction: report(name, fraction))

    return stage


def check_inputs(story: str, options: RenderOptions, settings) -> tuple[tuple[int, int], tuple[int, int]]:
    """Everything that needs no model; returns the keyframe and video sizes."""
    with blame("story"):
        check_story(story, options.scene_count, options.language)
    with blame("options.image.resolution"):
        image_size = parse_resolution(
            options.image.resolution or KEYFRAME_SIZES.get(options.aspect, ""), settings.max_pixels
        )
    with blame("options.image"):
        check_frames([FrameSpec(scene_id="s1", prompt="-")], options.image.num_steps, options.image.cfg_scale, None)
    if options.image.seed is not None and not 0 <= options.image.seed <= MAX_SEED - MAX_SCENES:
        raise InvalidInput(f"seed must be between 0 and {MAX_SEED - MAX_SCENES}", "options.image.seed")
    with blame("options.video.resolution"):
        video_size = clips_stage.video_size(options.video.resolution, options.aspect)
    with blame("options.video.fps"):
        clips_stage.check_fps(options.video.fps)
    with blame("options.video.transition"):
        check_transition(options.video.transition)
    with blame("options.video.motion"):
        clips_stage.check_motion(options.video.motion)
    if not 0 <= options.video.transition_duration <= 2:
        raise InvalidInput("transition_duration must be between 0 and 2", "options.video.transition_duration")
    with blame("options.speed"):
        check_speed(options.speed)
    return image_size, video_size


def generate(
    story: str,
    task_dir: Path,
    registry,
    options: RenderOptions,
    *,
    cancel: CancelToken | None = None,
    on_progress: Progress | None = None,
) -> Generated:
    settings = registry.settings
    cancel = cancel or CancelToken()
    report = on_progress or (lambda stage, fraction: None)
    image_size, (width, height) = check_inputs(story, options, settings)  # before any model is touched
    font = find_font(settings.font_file) if options.subtitles else None
    task_dir.mkdir(parents=True, exist_ok=True)
    warnings: list[str] = []
    timings: dict[str, float] = {}

    stage = _stage_starter(report, cancel)
    started, progress = stage("storyboard")
    board_path = task_dir / "storyboard.json"
    board_key = key_of(story=story, options=options.model_dump(), llm=settings.role_path("llm"))
    if reusable(board_path, board_key):
        board = Storyboard.model_validate_json(board_path.read_text())
    else:
        board = make_storyboard(
            story,
            style=options.style,
            scenes=options.scene_count,
            language=options.language,
            llm=registry.get("llm"),
            max_new_tokens=settings.llm_max_new_tokens,
            cancel=cancel,
        )
        write_json(board_path, board.model_dump(mode="json"), board_key)
    warnings += board.warnings
    scenes = board.storyboard
    timings["storyboard"] = time.perf_counter() - started
    progress(1.0)

    started, progress = stage("frames")
    seed = options.image.seed if options.image.seed is not None else int(board_key[:8], 16)
    frames = make_frames(
        [FrameSpec(scene_id=s.scene_id, prompt=s.prompt, negative_prompt=s.negative_prompt) for s in scenes],
        task_dir / "frames",
        registry.get("t2i"),
        width=image_size[0],
        height=image_size[1],
        steps=options.image.num_steps,
        guidance=options.image.cfg_scale,
        seed=seed,
        batch=settings.t2i_batch,
        cancel=cancel,
        on_progress=progress,
    )
    timings["frames"] = time.perf_counter() - started

    started, progress = stage("narration")
    audios = make_narration(
        [Line(scene_id=s.scene_id, text=s.narration) for s in scenes],
        task_dir / "audio",
        registry.get("tts"),
        voice=options.voice,
        speed=options.speed,
        language=board.language,
        cancel=cancel,
        on_progress=progress,
        timeout=settings.ffmpeg_timeout,
    )
    timings["narration"] = time.perf_counter() - started

    started, progress = stage("clips")
    overlap = options.video.transition_duration if options.video.transition != "none" else 0.0
    specs = [
        ClipSpec(
            scene_id=s.scene_id,
            frame=f.frame,
            duration=scene_seconds(a.duration, overlap if i < len(scenes) - 1 else 0.0),
            transition=options.video.transition,
            motion=options.video.motion,
            prompt=s.prompt,
        )
        for i, (s, f, a) in enumerate(zip(scenes, frames, audios, strict=True))
    ]
    clips, clip_warnings = clips_stage.make_clips(
        specs,
        task_dir / "clips",
        fps=options.video.fps,
        width=width,
        height=height,
        i2v=clips_stage.load_i2v(registry, warnings) if options.video.motion == "i2v" else None,
        settings=settings,
        cancel=cancel,
        on_progress=progress,
        timeout=settings.ffmpeg_timeout,
    )
    warnings += clip_warnings
    timings["clips"] = time.perf_counter() - started

    return Generated(
        storyboard=board,
        frames=frames,
        audios=audios,
        clips=clips,
        width=width,
        height=height,
        overlap=overlap,
        font=font,
        warnings=warnings,
        timings=timings,
    )


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
    scenes, clips, audios = made.storyboard.storyboard, made.clips, made.audios
    warnings, timings = list(made.warnings), dict(made.timings)
    started, progress = _stage_starter(report, cancel)("compose")
    music = None
    if options.music:
        music = pick_track(settings.music_dir, [s.bgm for s in scenes])
        if music is None:
            warnings.append("music was asked for, but S2V_MUSIC_DIR has no tracks; the video has narration only")
    composition = compose(
        [
            TimelineScene(c.clip, c.duration, options.video.transition, a.audio, a.duration, s.narration)
            for s, c, a in zip(scenes, clips, audios, strict=True)
        ],
        task_dir / "final.mp4",
        width=made.width,
        height=made.height,
        fps=options.video.fps,
        transition_seconds=made.overlap,
        music=music,
        subtitles=options.subtitles,
        font=made.font,
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
        frames=made.frames,
        clips=clips,
        audios=audios,
        warnings=warnings,
        timings={k: round(v, 3) for k, v in timings.items()},
    )


def render(
    story: str,
    task_dir: Path,
    registry,
    options: RenderOptions | None = None,
    *,
    cancel: CancelToken | None = None,
    on_progress: Progress | None = None,
) -> RenderResult:
    options = options or RenderOptions()
    made = generate(story, task_dir, registry, options, cancel=cancel, on_progress=on_progress)
    return finish(made, task_dir, registry.settings, options, cancel=cancel, on_progress=on_progress)
