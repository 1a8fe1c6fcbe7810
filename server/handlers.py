"""What each kind of task does: check its request before it is queued, then run its stages.

`prepare` runs in the request (no model is touched) and returns the request as it is stored: data
URIs become files of the task, a missing seed becomes a fixed one, so a task queued again after a
restart does exactly the same work. `plan` splits a task into the part the GPU worker runs and the
part the ffmpeg pool runs.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from models.tts import is_reference_clip
from pipelines import clips as clips_stage
from pipelines import frames as frames_stage
from pipelines import narration as narration_stage
from pipelines import planning
from pipelines import render as render_stage
from pipelines.artifact_store import write_json
from pipelines.cast import make_designs
from pipelines.render_options import check_source
from pipelines.specs import ClipSpec, FrameSpec, InvalidInput, Line, blame
from server.project_tasks import (
    adopt_storyboard,
    finish_project_part,
    finish_project_render,
    project_of,
    shot_file,
)
from server.references import FileResolver, cast_of, check_source_fields, keyframe, source_of
from server.schemas import (
    ClipsCreate,
    FramesCreate,
    NarrationCreate,
    RenderCreate,
    StoryboardCreate,
)

DEFAULT_KEYFRAME = "768x512"
DEFAULT_STYLE = "cinematic storybook illustration"
Outcome = tuple[dict, list[str]]  # result and warnings


@dataclass
class Plan:
    gpu: Callable | None  # run(job) -> state, on the GPU worker
    ffmpeg: Callable | None  # run(job, state) -> Outcome, on the ffmpeg pool; without it `gpu` returns the Outcome


@dataclass
class Kind:
    body: type
    stages: tuple[str, ...]
    prepare: Callable
    plan: Callable[[dict], Plan]


# --- storyboard


def storyboard_options(request: dict) -> render_stage.RenderOptions:
    return render_stage.RenderOptions(
        scene_count=request["scenes"], style=request["style"] or DEFAULT_STYLE, language=request["language"]
    )


def prepare_storyboard(body: StoryboardCreate, settings, task_dir: Path, resolve) -> dict:
    check_source_fields(body, settings)
    request = body.model_dump()
    check_source(source_of(request, resolve), storyboard_options(request))
    return request


def run_storyboard(job) -> Outcome:
    source = source_of(job.request, job.resolve)
    board, _, written, base_seed = planning.plan(
        source, storyboard_options(job.request), job.registry, job.store, job.cancel
    )
    adopt_storyboard(job, board, base_seed, written, project_designs(job, board))
    job.report("storyboard", 1.0)
    result = board.model_dump(mode="json", exclude={"warnings"})
    if written:
        result.update(title=written.title, story=written.story)
    write_json(job.task_dir / "storyboard.json", result)
    return result, board.warnings


def project_designs(job, board) -> dict[str, Path]:
    """A project's storyboard draws its cast's design portraits too, so the page shows them at once
    (with the project's own image options, as its renders will: they find them in the store)."""
    project = project_of(job)
    if project is None or not board.characters:
        return {}
    options = render_options({"options": project.options, "style": project.style}, job.resolve)
    return make_designs(
        board.characters,
        job.task_dir / "cast",
        job.registry.get("t2i"),
        job.store,
        style=options.style,
        max_pixels=job.settings.max_pixels,
        steps=options.image.num_steps,
        guidance=options.image.cfg_scale,
        cancel=job.cancel,
    )


# --- frames


def prepare_frames(body: FramesCreate, settings, task_dir: Path, resolve) -> dict:
    style = body.image_style
    with blame("image_style.resolution"):
        frames_stage.parse_resolution(style.resolution or DEFAULT_KEYFRAME, settings.max_pixels)
    request = body.model_dump()
    if style.seed is None:  # fixed now, so a retry or a restart draws the same pictures
        request["image_style"]["seed"] = secrets.randbelow(2**31)
    request["image_style"]["resolution"] = style.resolution or DEFAULT_KEYFRAME
    with blame("storyboard"):
        frames_stage.check_inputs(frame_specs(request), style.num_steps, style.cfg_scale)
    return request


def frame_specs(request: dict) -> list[FrameSpec]:
    """A scene's own seed (a /frames item sent again draws the same picture), else the style's + i."""
    base = request["image_style"]["seed"]
    return [
        FrameSpec(
            scene_id=s["scene_id"],
            prompt=s["prompt"],
            negative_prompt=s["negative_prompt"] or "",
            seed=s["seed"] if s["seed"] is not None else base + i,
        )
        for i, s in enumerate(request["storyboard"])
    ]


def run_frames(job) -> Outcome:
    style = job.request["image_style"]
    width, height = frames_stage.parse_resolution(style["resolution"], job.settings.max_pixels)
    made = frames_stage.make_frames(
        frame_specs(job.request),
        job.task_dir / "frames",
        job.registry.get("t2i"),
        job.store,
        width=width,
        height=height,
        steps=style["num_steps"],
        guidance=style["cfg_scale"],
        batch=job.settings.t2i_batch,
        cancel=job.cancel,
        on_progress=lambda fraction: job.report("frames", fraction),
    )
    return {"frames": [job.public(f) for f in made]}, []


# --- narration


def lines_of(request: dict) -> list[Line]:
    """Each line's `text`, or the `narration` of a /storyboard scene sent as it is."""
    return [
        Line(scene_id=line["scene_id"], text=line["text"] if line["text"] is not None else line["narration"])
        for line in request["lines"]
    ]


def prepare_narration(body: NarrationCreate, settings, task_dir: Path, resolve) -> dict:
    request = body.model_dump()
    with blame("lines"):
        narration_stage.check_inputs(lines_of(request), body.speed, body.format)
    return request


def run_narration(job) -> Outcome:
    request = job.request
    audios = narration_stage.make_narration(
        lines_of(request),
        job.task_dir / "audio",
        job.registry.get("tts"),
        job.store,
        voice=request["voice"],
        speed=request["speed"],
        fmt=request["format"],
        language=request["language"],
        cancel=job.cancel,
        on_progress=lambda fraction: job.report("narration", fraction),
        timeout=job.settings.ffmpeg_timeout,
    )
    return {"audios": [job.public(a) for a in audios]}, []


# --- clips


def prepare_clips(body: ClipsCreate, settings, task_dir: Path, resolve) -> dict:
    with blame("video.resolution"):
        clips_stage.video_size(body.video.resolution)
    with blame("frames"):
        specs = [ClipSpec(scene_id=f.scene_id, frame=Path("-"), duration=f.duration) for f in body.frames]
        clips_stage.check_inputs(specs, body.video.fps)
    request = body.model_dump()
    for index, item in enumerate(request["frames"]):
        with blame(f"frames[{index}].frame"):
            item["frame"] = keyframe(item["frame"], item["scene_id"], settings, task_dir, resolve)
    return request


def run_clips(job, state=None) -> Outcome:
    request = job.request
    video = request["video"]
    width, height = clips_stage.video_size(video["resolution"])
    specs = []
    for index, item in enumerate(request["frames"]):
        try:
            frame = job.resolve(item["frame"])
        except ValueError as error:  # its task was deleted while this one waited
            raise InvalidInput(f"{item['scene_id']}: {error}", f"frames[{index}].frame") from None
        specs.append(
            ClipSpec(
                scene_id=item["scene_id"],
                frame=frame,
                duration=item["duration"],
                transition=item["transition"],
                motion=item["motion"],
                prompt=item["prompt"] or "",
                camera=item["camera"],
                seed=item["seed"] if item["seed"] is not None else index,
            )
        )
    warnings: list[str] = []
    i2v = clips_stage.load_i2v(job.registry, warnings) if uses_i2v(request) else None
    made, clip_warnings = clips_stage.make_clips(
        specs,
        job.task_dir / "clips",
        job.store,
        fps=video["fps"],
        width=width,
        height=height,
        i2v=i2v,
        settings=job.settings,
        cancel=job.cancel,
        on_progress=lambda fraction: job.report("clips", fraction),
        timeout=job.settings.ffmpeg_timeout,
    )
    warnings += clip_warnings
    transitions = {item["scene_id"]: item["transition"] for item in request["frames"]}
    clips = [{**job.public(c), "transition": transitions[c.scene_id]} for c in made]
    return {"clips": clips, "transition_duration": video["transition_duration"]}, warnings


def uses_i2v(request: dict) -> bool:
    return any(item["motion"] == "i2v" for item in request["frames"])


def plan_clips(request: dict) -> Plan:
    # Pan/zoom and still clips are ffmpeg alone: they need not wait behind the GPU queue.
    return Plan(gpu=run_clips, ffmpeg=None) if uses_i2v(request) else Plan(gpu=None, ffmpeg=run_clips)


# --- render


def render_options(request: dict, resolve: FileResolver) -> render_stage.RenderOptions:
    options = request["options"]
    music = options["music"]
    if music is True:
        music = {}
    elif isinstance(music, dict) and music.get("track"):
        with blame("options.music.track"):
            music = {**music, "track": resolve(music["track"])}
    return render_stage.RenderOptions(
        scene_count=options["scene_count"],
        style=request["style"] or DEFAULT_STYLE,
        image=render_stage.ImageOptions(**options["image"]),
        video=render_stage.VideoOptions(**options["video"]),
        voice=options["voice"],
        speed=options["speed"],
        music=render_stage.MusicOptions(**music) if music else None,
        subtitles=options["subtitles"],
        aspect=options["aspect"],
    )


def prepare_render(body: RenderCreate, settings, task_dir: Path, resolve) -> dict:
    check_source_fields(body, settings)
    request = body.model_dump()
    for index, shot in enumerate(request["storyboard"] or []):
        if shot["frame"]:
            with blame(f"storyboard[{index}].frame"):
                shot["frame"] = keyframe(shot["frame"], shot["scene_id"], settings, task_dir, resolve)
        if shot["audio"]:
            with blame(f"storyboard[{index}].audio"):
                resolve.audio(shot["audio"])
    check_inputs_of_render(request, settings, resolve)
    return request  # with no seed, the render derives one from the story: same story, same pictures


def checked_options(request: dict, resolve: FileResolver) -> render_stage.RenderOptions:
    """The render options of a request being accepted: a music track must be a sound of the caller's
    (decoded once, here; a running task only resolves it)."""
    music = request["options"]["music"]
    if isinstance(music, dict) and music.get("track"):
        with blame("options.music.track"):
            resolve.audio(music["track"])
    return render_options(request, resolve)


def check_inputs_of_render(request: dict, settings, resolve: FileResolver) -> None:
    render_stage.check_inputs(source_of(request, resolve), checked_options(request, resolve), settings)
    cast_of(request, resolve)


def project_part(request: dict) -> dict:
    """A project's render or regenerate: how far it goes and which shots it makes."""
    return request.get("project") or {"until": "video", "only": None}


def generate_render(job) -> render_stage.Generated:
    part = project_part(job.request)
    return render_stage.generate(
        source_of(job.request, job.resolve),
        job.task_dir,
        job.registry,
        render_options(job.request, job.resolve),
        job.store,
        cast=cast_of(job.request, job.resolve),
        until="clips" if part["until"] == "video" else part["until"],
        only=set(part["only"]) if part.get("only") else None,
        cancel=job.cancel,
        on_progress=job.report,
        on_item=lambda scene_id, what, path: shot_file(job, scene_id, what, path),
    )


def characters_public(job, characters, designs: dict[str, Path]) -> list[dict]:
    """The cast as a result shows it: files as /data/ URLs, never a host path."""
    public = []
    for character in characters:
        item = character.model_dump(mode="json", exclude={"reference", "voice"})
        item["reference"] = job.url(character.reference) if character.reference else None
        item["voice"] = job.url(Path(character.voice)) if is_reference_clip(character.voice) else character.voice
        item["design"] = job.url(designs[character.name]) if character.name in designs else None
        public.append(item)
    return public


def finish_render(job, made: render_stage.Generated) -> Outcome:
    options = render_options(job.request, job.resolve)
    out = render_stage.finish(made, job.task_dir, job.settings, options, cancel=job.cancel, on_progress=job.report)
    finish_project_render(job, out)
    board = out.storyboard
    result = {
        "video": job.url(out.video),
        "subtitles": job.url(out.subtitles) if out.subtitles else None,
        "subtitles_vtt": job.url(out.subtitles.with_suffix(".vtt")) if out.subtitles else None,
        "duration": out.duration,
        "project_id": job.request["project"]["project_id"],
        "storyboard": [scene.model_dump(mode="json") for scene in board.storyboard],
        "characters": characters_public(job, board.characters, out.designs),
        "frames": [job.public(f) for f in out.frames],
        "clips": [job.public(c, exclude={"motion"}) for c in out.clips],
        "audios": [job.public(a) for a in out.audios],
    }
    if out.story:
        result.update(title=out.story.title, story=out.story.story)
    return result, out.warnings


def run_render_part(job) -> Outcome:
    """A render that stops before the video: the files it made, for the shots it made them for."""
    made = generate_render(job)
    finish_project_part(job)
    result = {
        "project_id": job.request["project"]["project_id"],
        "frames": [job.public(f) for f in made.frames],
        "audios": [job.public(a) for a in made.audios],
        "clips": [job.public(c, exclude={"motion"}) for c in made.clips],
    }
    return result, made.warnings


def plan_render(request: dict) -> Plan:
    if project_part(request)["until"] == "video":
        return Plan(generate_render, finish_render)
    return Plan(run_render_part, None)


KINDS = {
    "storyboard": Kind(StoryboardCreate, ("storyboard",), prepare_storyboard, lambda r: Plan(run_storyboard, None)),
    "frames": Kind(FramesCreate, ("frames",), prepare_frames, lambda r: Plan(run_frames, None)),
    "narration": Kind(NarrationCreate, ("narration",), prepare_narration, lambda r: Plan(run_narration, None)),
    "clips": Kind(ClipsCreate, ("clips",), prepare_clips, plan_clips),
    "render": Kind(RenderCreate, render_stage.STAGES, prepare_render, plan_render),
}
WEIGHTS = {"render": render_stage.WEIGHTS}
