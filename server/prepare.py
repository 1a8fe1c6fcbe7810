"""Each kind's `prepare`: every check that needs no model, run when a request is accepted (a refused
request writes nothing), and what the request left open fixed now (a seed, a resolution, an
uploaded keyframe's file), so a retry or a restart does exactly the same work. Project renders go
through the same `prepare_render` as `/render`."""

import secrets
from pathlib import Path

from pipelines import clips as clips_stage
from pipelines import frames as frames_stage
from pipelines import narration as narration_stage
from pipelines import render as render_stage
from pipelines.render_options import ImageOptions, MusicOptions, RenderOptions, VideoOptions, check_source
from pipelines.specs import ClipSpec, FrameSpec, Line, blame
from server.references import FileResolver, cast_of, check_source_fields, keyframe, source_of
from server.requests import ClipsRequest, FramesRequest, NarrationRequest, RenderRequest, StoryboardRequest
from server.schemas import RenderOptionsCreate

DEFAULT_KEYFRAME = "768x512"
DEFAULT_STYLE = "cinematic storybook illustration"


def storyboard_options(request: StoryboardRequest) -> RenderOptions:
    return RenderOptions(scene_count=request.scenes, style=request.style or DEFAULT_STYLE, language=request.language)


def prepare_storyboard(request: StoryboardRequest, settings, task_dir: Path, resolve: FileResolver):
    check_source_fields(request, settings)
    check_source(source_of(request, resolve), storyboard_options(request))
    return request


def frame_specs(request: FramesRequest) -> list[FrameSpec]:
    """A scene's own seed (a /frames item sent again draws the same picture), else the style's + i."""
    base = request.image_style.seed
    return [
        FrameSpec(
            scene_id=s.scene_id,
            prompt=s.prompt,
            negative_prompt=s.negative_prompt or "",
            seed=s.seed if s.seed is not None else base + i,
        )
        for i, s in enumerate(request.storyboard)
    ]


def prepare_frames(request: FramesRequest, settings, task_dir: Path, resolve: FileResolver):
    style = request.image_style
    with blame("image_style.resolution"):
        frames_stage.parse_resolution(style.resolution or DEFAULT_KEYFRAME, settings.max_pixels)
    fixed = style.model_copy(  # fixed now, so a retry or a restart draws the same pictures
        update={
            "seed": style.seed if style.seed is not None else secrets.randbelow(2**31),
            "resolution": style.resolution or DEFAULT_KEYFRAME,
        }
    )
    request = request.model_copy(update={"image_style": fixed})
    with blame("storyboard"):
        frames_stage.check_inputs(frame_specs(request), style.num_steps, style.cfg_scale)
    return request


def lines_of(request: NarrationRequest) -> list[Line]:
    """Each line's `text`, or the `narration` of a /storyboard scene sent as it is, in its `emotion`."""
    return [
        Line(
            scene_id=line.scene_id,
            text=line.text if line.text is not None else line.narration,
            style=line.emotion,
        )
        for line in request.lines
    ]


def prepare_narration(request: NarrationRequest, settings, task_dir: Path, resolve: FileResolver):
    with blame("lines"):
        narration_stage.check_inputs(lines_of(request), request.speed, request.format)
    return request


def prepare_clips(request: ClipsRequest, settings, task_dir: Path, resolve: FileResolver):
    with blame("video.resolution"):
        clips_stage.video_size(request.video.resolution)
    with blame("frames"):
        specs = [ClipSpec(scene_id=f.scene_id, frame=Path("-"), duration=f.duration) for f in request.frames]
        clips_stage.check_inputs(specs, request.video.fps)
    frames = []
    for index, item in enumerate(request.frames):
        with blame(f"frames[{index}].frame"):
            frames.append(
                item.model_copy(update={"frame": keyframe(item.frame, item.scene_id, settings, task_dir, resolve)})
            )
    return request.model_copy(update={"frames": frames})


def render_options(options: RenderOptionsCreate, style: str | None, resolve: FileResolver) -> RenderOptions:
    """The stage's options, from the request's (a music track resolved to the caller's file)."""
    music = options.music
    if music is True:
        music = MusicOptions()
    elif music:
        track = None
        if music.track:
            with blame("options.music.track"):
                track = resolve(music.track)
        music = MusicOptions(**music.model_dump(exclude={"track"}), track=track)
    return RenderOptions(
        scene_count=options.scene_count,
        style=style or DEFAULT_STYLE,
        image=ImageOptions(**options.image.model_dump()),
        video=VideoOptions(**options.video.model_dump()),
        voice=options.voice,
        speed=options.speed,
        music=music or None,
        subtitles=options.subtitles,
        aspect=options.aspect,
    )


def check_music(options: RenderOptionsCreate, resolve: FileResolver) -> None:
    """A music track must be a sound of the caller's (decoded once, here; a running task only resolves it)."""
    music = options.music
    if not isinstance(music, bool) and music.track:
        with blame("options.music.track"):
            resolve.audio(music.track)


def prepare_render(request: RenderRequest, settings, task_dir: Path, resolve: FileResolver):
    check_source_fields(request, settings)
    shots = []
    for index, shot in enumerate(request.storyboard or []):
        if shot.frame:
            with blame(f"storyboard[{index}].frame"):
                shot = shot.model_copy(
                    update={"frame": keyframe(shot.frame, shot.scene_id, settings, task_dir, resolve)}
                )
        if shot.audio:
            with blame(f"storyboard[{index}].audio"):
                resolve.audio(shot.audio)
        shots.append(shot)
    if request.storyboard is not None:
        request = request.model_copy(update={"storyboard": shots})
    check_music(request.options, resolve)
    options = render_options(request.options, request.style, resolve)
    render_stage.check_inputs(source_of(request, resolve), options, settings)
    cast_of(request, resolve)
    return request  # with no seed, the render derives one from the story: same story, same pictures
