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

from pipelines import clips as clips_stage
from pipelines import frames as frames_stage
from pipelines import narration as narration_stage
from pipelines import render as render_stage
from pipelines import storyboard as storyboard_stage
from pipelines.artifacts import write_json
from pipelines.specs import ClipSpec, FrameSpec, InvalidInput, Line, blame
from server import paths
from server.schemas import (
    ClipsCreate,
    FramesCreate,
    NarrationCreate,
    RenderCreate,
    StoryboardCreate,
)

DEFAULT_KEYFRAME = "768x512"
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


class FrameResolver:
    """Turns a request's `frame` into a file of the data root the caller may read."""

    def __init__(self, data_dir: Path, readable_task: Callable[[str], bool]):
        self.data_dir = data_dir
        self.readable_task = readable_task

    def __call__(self, value: str) -> Path:
        try:
            path = paths.owned_task_file(paths.frame_parts(value), self.data_dir, self.readable_task)
        except FileNotFoundError:
            raise ValueError("frame names no file of yours under /data/") from None
        paths.check_image(path).close()
        return path


# --- storyboard


def prepare_storyboard(body: StoryboardCreate, settings, task_dir: Path, resolve) -> dict:
    with blame("story"):
        storyboard_stage.check_inputs(body.story, body.scenes, body.language)
    return body.model_dump()


def run_storyboard(job) -> Outcome:
    request = job.request
    board = storyboard_stage.make_storyboard(
        request["story"],
        style=request["style"] or "cinematic storybook illustration",
        scenes=request["scenes"],
        language=request["language"],
        llm=job.registry.get("llm"),
        max_new_tokens=job.settings.llm_max_new_tokens,
        cancel=job.cancel,
    )
    job.report("storyboard", 1.0)
    result = board.model_dump(mode="json", exclude={"warnings"})
    write_json(job.task_dir / "storyboard.json", result)
    return result, board.warnings


# --- frames


def prepare_frames(body: FramesCreate, settings, task_dir: Path, resolve) -> dict:
    style = body.image_style
    with blame("image_style.resolution"):
        frames_stage.parse_resolution(style.resolution or DEFAULT_KEYFRAME, settings.max_pixels)
    with blame("storyboard"):
        frames_stage.check_inputs(body.storyboard, style.num_steps, style.cfg_scale, style.seed)
    request = body.model_dump()
    if style.seed is None:  # fixed now, so a retry or a restart draws the same pictures
        request["image_style"]["seed"] = secrets.randbelow(2**31)
    request["image_style"]["resolution"] = style.resolution or DEFAULT_KEYFRAME
    return request


def run_frames(job) -> Outcome:
    style = job.request["image_style"]
    width, height = frames_stage.parse_resolution(style["resolution"], job.settings.max_pixels)
    made = frames_stage.make_frames(
        [FrameSpec(**{k: s[k] for k in ("scene_id", "prompt", "negative_prompt")}) for s in job.request["storyboard"]],
        job.task_dir / "frames",
        job.registry.get("t2i"),
        width=width,
        height=height,
        steps=style["num_steps"],
        guidance=style["cfg_scale"],
        seed=style["seed"],
        batch=job.settings.t2i_batch,
        cancel=job.cancel,
        on_progress=lambda fraction: job.report("frames", fraction),
    )
    return {"frames": [job.public(f) for f in made]}, []


# --- narration


def prepare_narration(body: NarrationCreate, settings, task_dir: Path, resolve) -> dict:
    with blame("lines"):
        narration_stage.check_inputs(body.lines, body.speed, body.format)
    return body.model_dump()


def run_narration(job) -> Outcome:
    request = job.request
    audios = narration_stage.make_narration(
        [Line(**line) for line in request["lines"]],
        job.task_dir / "audio",
        job.registry.get("tts"),
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
        clips_stage.check_inputs(
            [ClipSpec(scene_id=f.scene_id, frame=Path("-"), duration=f.duration) for f in body.frames], body.video.fps
        )
    request = body.model_dump()
    for index, item in enumerate(request["frames"]):
        with blame(f"frames[{index}].frame"):
            if item["frame"].startswith("data:"):
                image = paths.decode_data_uri(item["frame"])
                inputs = task_dir / "inputs"
                inputs.mkdir(parents=True, exist_ok=True)
                path = inputs / f"{item['scene_id']}.png"
                image.convert("RGB").save(path, format="PNG")
                item["frame"] = paths.url_of(path, settings.data_dir)
            else:
                resolve(item["frame"])
    return request


def run_clips(job, state=None) -> Outcome:
    request = job.request
    video = request["video"]
    width, height = clips_stage.video_size(video["resolution"])
    specs = []
    for item in request["frames"]:
        try:
            frame = job.resolve(item["frame"])
        except ValueError as error:  # its task was deleted while this one waited
            raise InvalidInput(f"{item['scene_id']}: {error}", "frames") from None
        specs.append(
            ClipSpec(
                scene_id=item["scene_id"],
                frame=frame,
                duration=item["duration"],
                transition=item["transition"],
                motion=item["motion"],
            )
        )
    warnings: list[str] = []
    i2v = clips_stage.load_i2v(job.registry, warnings) if uses_i2v(request) else None
    made, clip_warnings = clips_stage.make_clips(
        specs,
        job.task_dir / "clips",
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


def render_options(request: dict) -> render_stage.RenderOptions:
    options = request["options"]
    return render_stage.RenderOptions(
        scene_count=options["scene_count"],
        style=request["style"] or "cinematic storybook illustration",
        image=render_stage.ImageOptions(**options["image"]),
        video=render_stage.VideoOptions(**options["video"]),
        voice=options["voice"],
        speed=options["speed"],
        music=options["music"],
        subtitles=options["subtitles"],
        aspect=options["aspect"],
    )


def prepare_render(body: RenderCreate, settings, task_dir: Path, resolve) -> dict:
    request = body.model_dump()
    render_stage.check_inputs(body.story, render_options(request), settings)
    return request  # with no seed, the render derives one from the story: same story, same pictures


def generate_render(job) -> render_stage.Generated:
    options = render_options(job.request)
    return render_stage.generate(
        job.request["story"], job.task_dir, job.registry, options, cancel=job.cancel, on_progress=job.report
    )


def finish_render(job, made: render_stage.Generated) -> Outcome:
    options = render_options(job.request)
    out = render_stage.finish(made, job.task_dir, job.settings, options, cancel=job.cancel, on_progress=job.report)
    board = out.storyboard
    result = {
        "video": job.url(out.video),
        "subtitles": job.url(out.subtitles) if out.subtitles else None,
        "duration": out.duration,
        "storyboard": [scene.model_dump(mode="json") for scene in board.storyboard],
        "characters": [c.model_dump() for c in board.characters],
        "frames": [job.public(f) for f in out.frames],
        "clips": [job.public(c, exclude={"motion"}) for c in out.clips],
        "audios": [job.public(a) for a in out.audios],
    }
    return result, out.warnings


KINDS = {
    "storyboard": Kind(StoryboardCreate, ("storyboard",), prepare_storyboard, lambda r: Plan(run_storyboard, None)),
    "frames": Kind(FramesCreate, ("frames",), prepare_frames, lambda r: Plan(run_frames, None)),
    "narration": Kind(NarrationCreate, ("narration",), prepare_narration, lambda r: Plan(run_narration, None)),
    "clips": Kind(ClipsCreate, ("clips",), prepare_clips, plan_clips),
    "render": Kind(RenderCreate, render_stage.STAGES, prepare_render, lambda r: Plan(generate_render, finish_render)),
}
WEIGHTS = {"render": render_stage.WEIGHTS}
