"""Each kind's run: the typed request through the shared steps (`pipelines.steps`) on the task's
`StageContext`, and the result as the API shows it (files as /data/ URLs). `plan` splits a task
into the part the GPU worker runs and the part the ffmpeg pool runs."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from models.tts import is_reference_clip
from pipelines import clips as clips_stage
from pipelines import frames as frames_stage
from pipelines import planning, steps
from pipelines import render as render_stage
from pipelines.artifact_store import write_json
from pipelines.generated import Generated
from pipelines.specs import ClipSpec, InvalidInput
from server.prepare import frame_specs, lines_of, render_options, storyboard_options
from server.references import cast_of, source_of
from studio.tasks import adopt_storyboard, finish_project_part, finish_project_render, storyboard_begins

Outcome = tuple[dict, list[str]]  # result and warnings


@dataclass
class Plan:
    gpu: Callable | None  # run(job) -> state, on the GPU worker
    ffmpeg: Callable | None  # run(job, state) -> Outcome, on the ffmpeg pool; without it `gpu` returns the Outcome


def run_storyboard(job) -> Outcome:
    request = job.request
    if job.work is not None:
        storyboard_begins(job.work)
    board, _, written, base_seed = planning.plan(
        source_of(request, job.resolve),
        storyboard_options(request),
        job.registry,
        job.store,
        job.cancel,
        on_written=job.ctx.on_written,
    )
    warnings = list(board.warnings)
    if job.work is not None:
        designs, design_warnings = project_designs(job, board)
        adopt_storyboard(job.work, board, base_seed, written, designs)
        warnings += design_warnings
    job.report("storyboard", 1.0)
    result = board.model_dump(mode="json", exclude={"warnings"})
    if written:
        result.update(title=written.title, story=written.story)
    write_json(job.task_dir / "storyboard.json", result)
    return result, warnings


def project_designs(job, board) -> tuple[dict[str, Path], list[str]]:
    """A project's storyboard draws its cast's design portraits too, so the page shows them at once
    (with the project's own image options, as its renders will: they find them in the store)."""
    project = job.work.project
    if project is None or not board.characters:
        return {}, []
    options = job.project_options(project)
    return steps.designs(job.ctx, board.characters, options.style, options.image, job.registry.get("t2i"))


def run_frames(job) -> Outcome:
    style = job.request.image_style
    size = frames_stage.parse_resolution(style.resolution, job.settings.max_pixels)
    image = render_stage.ImageOptions(**style.model_dump())
    made, warnings = steps.keyframes(job.ctx, frame_specs(job.request), size, image, job.progress("frames"))
    return {"frames": [job.public(f) for f in made]}, warnings


def run_narration(job) -> Outcome:
    request = job.request
    audios = steps.speak(
        job.ctx,
        lines_of(request),
        voice=request.voice,
        speed=request.speed,
        language=request.language,
        fmt=request.format,
        progress=job.progress("narration"),
    )
    return {"audios": [job.public(a) for a in audios]}, []


def run_clips(job, state=None) -> Outcome:
    request = job.request
    specs = []
    for index, item in enumerate(request.frames):
        try:
            frame = job.resolve(item.frame)
        except ValueError as error:  # its task was deleted while this one waited
            raise InvalidInput(f"{item.scene_id}: {error}", f"frames[{index}].frame") from None
        seed = item.seed if item.seed is not None else index
        fields = item.model_dump(include={"scene_id", "duration", "transition", "motion", "camera"})
        specs.append(ClipSpec(**fields, frame=frame, prompt=item.prompt or "", seed=seed))
    size = clips_stage.video_size(request.video.resolution)
    i2v, warnings = steps.video_model(job.ctx, [s.motion for s in specs])
    made, clip_warnings = steps.animate(
        job.ctx, specs, i2v=i2v, fps=request.video.fps, size=size, progress=job.progress("clips")
    )
    warnings += clip_warnings
    transitions = {item.scene_id: item.transition for item in request.frames}
    clips = [{**job.public(c), "transition": transitions[c.scene_id]} for c in made]
    return {"clips": clips, "transition_duration": request.video.transition_duration}, warnings


def plan_clips(request) -> Plan:
    # Pan/zoom and still clips are ffmpeg alone: they need not wait behind the GPU queue.
    if any(item.motion == "i2v" for item in request.frames):
        return Plan(gpu=run_clips, ffmpeg=None)
    return Plan(gpu=None, ffmpeg=run_clips)


def generate_render(job) -> tuple[Generated, render_stage.RenderOptions]:
    """The model part of a render, and its options (built once for both parts)."""
    part = job.request.project
    options = render_options(job.request.options, job.request.style, job.resolve)
    made = render_stage.generate(
        source_of(job.request, job.resolve),
        job.ctx,
        options,
        cast=cast_of(job.request, job.resolve),
        until="clips" if part.until == "video" else part.until,
        only=set(part.only) if part.only is not None else None,
    )
    return made, options


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


def finish_render(job, state) -> Outcome:
    made, options = state
    out = render_stage.finish(made, job.ctx, options)
    request = job.request
    finish_project_render(job.work, out, request.storyboard or [], request.characters or [])
    board = out.storyboard
    result = {
        "video": job.url(out.video),
        "subtitles": job.url(out.subtitles) if out.subtitles else None,
        "subtitles_vtt": job.url(out.subtitles.with_suffix(".vtt")) if out.subtitles else None,
        "duration": out.duration,
        "project_id": request.project.project_id,
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
    made, _ = generate_render(job)
    finish_project_part(job.work)
    result = {
        "project_id": job.request.project.project_id,
        "frames": [job.public(f) for f in made.frames],
        "audios": [job.public(a) for a in made.audios],
        "clips": [job.public(c, exclude={"motion"}) for c in made.clips],
    }
    return result, made.warnings


def plan_render(request) -> Plan:
    if request.project.until == "video":
        return Plan(generate_render, finish_render)
    return Plan(run_render_part, None)
