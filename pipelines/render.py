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
from pathlib import Path

from pydantic import BaseModel

from models.cancel import CancelToken
from pipelines.artifact_store import ArtifactStore, write_json
from pipelines.cast import described, dialogue, identities
from pipelines.compose import TimelineScene, compose
from pipelines.context import Progress, StageContext
from pipelines.fonts import find_font
from pipelines.frames import scene_seed
from pipelines.generated import Generated, carried
from pipelines.manifest import RenderManifest, manifest_of
from pipelines.music import background, load_music, music_bed
from pipelines.planning import plan
from pipelines.render_options import (
    ImageOptions,
    MusicOptions,
    RenderOptions,
    Source,
    VideoOptions,
    check_inputs,
)
from pipelines.specs import Audio, Character, Clip, Frame, FrameSpec, Storyboard
from pipelines.steps import designs, keyframes
from pipelines.story_writer import WrittenStory
from pipelines.subtitles import BURNED
from pipelines.voiced_clips import narrate_and_animate

__all__ = ["ImageOptions", "MusicOptions", "RenderOptions", "VideoOptions", "render"]

STAGES = ("storyboard", "frames", "narration", "clips", "compose")
UNTIL = ("storyboard", "keyframes", "narration", "clips", "video")  # how far a render goes
WEIGHTS = {"storyboard": 0.1, "frames": 0.3, "narration": 0.1, "clips": 0.3, "compose": 0.2}


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
    manifest: RenderManifest  # what the film used, frame by frame


def generate(
    source: Source,
    ctx: StageContext,
    options: RenderOptions,
    *,
    cast: list[Character] = (),
    until: str = "clips",
    only: set[str] | None = None,
) -> Generated:
    """The model stages up to `until` (cast, keyframes, narration or clips), for every shot or for
    the shots in `only` (the others keep their place: a clip's length depends on its neighbours).
    `cast`: the caller's characters (references, voices), merged with the storyboard's.
    `ctx.on_item(scene_id, "keyframe" | "narration" | "clip", path)` hears of each file once it is
    in place, and `ctx.on_item(name, "design", path)` of each character's design portrait."""
    # 1. Check every input before any model is touched.
    image_size, video_size = check_inputs(source, options, ctx.settings)
    ctx.task_dir.mkdir(parents=True, exist_ok=True)
    # 2. The storyboard: the caller's shots, or the LLM's plan of the story.
    made = plan_shots(ctx, source, options, cast, only, video_size)
    if until == "storyboard":
        return made
    # 3. The cast's design portraits, then 4. the keyframes.
    started, progress = time.perf_counter(), ctx.stage("frames")
    t2i = ctx.registry.get("t2i") if made.storyboard.characters or any(s.frame is None for s in made.chosen) else None
    made.designs, design_warnings = designs(ctx, made.storyboard.characters, options.style, options.image, t2i)
    made.warnings += design_warnings
    if until == "cast":
        return made
    draw(ctx, made, options, image_size, t2i, progress)
    made.timings["frames"] = time.perf_counter() - started
    if until == "keyframes":
        return made
    # 5. The narration and 6. the clips, each as long as its line (spoken beside them where the
    # speech and video models stay loaded together).
    narrate_and_animate(ctx, made, options, video_size, until)
    if until == "narration":
        return made
    # 7. The music bed, when the render asks for one and brings none.
    if options.music is not None and options.music.track is None:
        seconds = sum(c.duration for c in made.clips) - made.overlap * max(len(made.clips) - 1, 0)
        moods = [s.bgm for s in made.shots]
        music_model = load_music(ctx.registry, made.warnings)
        made.music = background(ctx.settings.music_dir, music_model, moods, seconds, ctx.store)
    return made


def plan_shots(ctx: StageContext, source: Source, options: RenderOptions, cast, only, video_size) -> Generated:
    started, progress = time.perf_counter(), ctx.stage("storyboard")
    board, shots, written, base_seed = plan(
        source, options, ctx.registry, ctx.store, ctx.cancel, cast, on_written=ctx.on_written
    )
    write_json(ctx.task_dir / "storyboard.json", board.model_dump(mode="json"))
    made = Generated(
        storyboard=board,
        shots=shots,
        chosen=[s for s in shots if only is None or s.scene_id in only],
        seeds={s.scene_id: s.seed if s.seed is not None else scene_seed(base_seed, s.scene_id) for s in shots},
        story=written,
        width=video_size[0],
        height=video_size[1],
        overlap=options.video.transition_duration,
        font=find_font(ctx.settings.font_file) if options.subtitles in BURNED else None,
        warnings=list(board.warnings),
        store=ctx.store,
    )
    made.timings["storyboard"] = time.perf_counter() - started
    progress(1.0)
    return made


def draw(ctx: StageContext, made: Generated, options: RenderOptions, size, t2i, progress) -> None:
    """Keyframes for the chosen shots: drawn, or the shot's own picture."""
    characters, chosen = made.storyboard.characters, made.chosen
    faces = {s.scene_id: identities(s, characters, made.designs) for s in chosen}
    if any(faces.values()) and not t2i.takes_identities:
        made.warnings.append(
            "this keyframe model takes no identity images (FLUX.2 klein does, and SDXL with IP-Adapter weights): "
            "characters are kept alike by their descriptions only"
        )
        faces = {}
    to_draw = [
        FrameSpec(
            scene_id=s.scene_id,
            prompt=described(s, characters),
            negative_prompt=s.negative_prompt,
            seed=made.seeds[s.scene_id],
            identities=faces.get(s.scene_id, []),
        )
        for s in chosen
        if s.frame is None
    ]
    made_frames, cut = keyframes(ctx, to_draw, size, options.image, progress, t2i) if to_draw else ([], [])
    made.warnings += cut
    drawn = {f.scene_id: f for f in made_frames}
    for s in chosen:
        if s.scene_id not in drawn:
            path = carried(ctx.store, s.frame, ctx.task_dir / "frames", s.scene_id)
            drawn[s.scene_id] = Frame(scene_id=s.scene_id, frame=path, seed=made.seeds[s.scene_id])
            ctx.on_item(s.scene_id, "keyframe", path)
    made.frames = [drawn[s.scene_id] for s in chosen]


def finish(made: Generated, ctx: StageContext, options: RenderOptions) -> RenderResult:
    """8. Compose the film: clips joined with their transitions, narration and music mixed and
    levelled, subtitles (ffmpeg only: a server runs this off the GPU worker)."""
    shots, clips, audios = made.shots, made.clips, made.audios
    warnings, timings = list(made.warnings), dict(made.timings)
    started, progress = time.perf_counter(), ctx.stage("compose")
    music = music_bed(options.music, made.music, warnings)
    scenes = [
        TimelineScene(
            c.clip, c.duration, s.transition or options.video.transition, a.audio, a.duration, s.narration, a.cues
        )
        for s, c, a in zip(shots, clips, audios, strict=True)
    ]
    composition = compose(
        scenes,
        ctx.task_dir / "final.mp4",
        width=made.width,
        height=made.height,
        fps=options.video.fps,
        transition_seconds=made.overlap,
        music=music,
        subtitles=options.subtitles,
        language=made.storyboard.language,
        font=made.font,
        loudness=ctx.settings.loudness_lufs,
        store=made.store,
        cancel=ctx.cancel,
        on_progress=progress,
        timeout=ctx.timeout,
    )
    warnings += composition.warnings
    timings["compose"] = time.perf_counter() - started
    # 9. What the film used, frame by frame: an editor's timeline is built from it.
    manifest = manifest_of(
        [s.scene_id for s in shots],
        scenes,
        [dialogue(s, made.storyboard.characters) for s in shots],
        composition.cues,
        music,
        fps=options.video.fps,
        width=made.width,
        height=made.height,
        transition_seconds=made.overlap,
    )
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
        manifest=manifest,
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
    ctx = StageContext(registry, registry.settings, store, task_dir, cancel or CancelToken())
    if on_progress is not None:
        ctx.on_progress = on_progress
    return finish(generate(source, ctx, options), ctx, options)
