"""What a render is asked for: its source (a story, a storyboard of shots, or a topic), its options,
and every check that needs no model, each naming the request field it came from."""

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from pipelines import clips as clips_stage
from pipelines.compose import check_transition
from pipelines.frames import MAX_SEED, parse_resolution
from pipelines.frames import check_inputs as check_frames
from pipelines.narration import check_speed
from pipelines.shot import MAX_LINE_CHARS
from pipelines.specs import FrameSpec, InvalidInput, Shot, blame, check_scene_ids
from pipelines.story_writer import Topic
from pipelines.story_writer import check_inputs as check_topic
from pipelines.storyboard import check_inputs as check_story
from pipelines.subtitles import MODES

KEYFRAME_SIZES = {"16:9": "768x432", "9:16": "432x768", "1:1": "512x512"}
MAX_SHOTS = 64
MAX_FADE_SECONDS = 30.0
Source = str | list[Shot] | Topic  # a story, a storyboard, or a topic the LLM writes a story for


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


class MusicOptions(BaseModel):
    track: Path | None = None  # else one from S2V_MUSIC_DIR, picked by the scenes' moods
    volume: float = 0.25
    fade_in: float = 1.5
    fade_out: float = 2.0
    duck: bool = True  # the music dips under the narration


class RenderOptions(BaseModel):
    scene_count: int | None = None
    style: str = "cinematic storybook illustration"
    language: str = "auto"
    image: ImageOptions = Field(default_factory=ImageOptions)
    video: VideoOptions = Field(default_factory=VideoOptions)
    voice: str | None = None
    speed: float = 1.0
    music: MusicOptions | None = None
    subtitles: Literal[MODES] = "burn"
    aspect: str = "16:9"

    @field_validator("subtitles", mode="before")
    @classmethod
    def _subtitle_mode(cls, value):
        """The API's booleans, from before there were modes: true burns the subtitles in, false has none."""
        if isinstance(value, bool):
            return "burn" if value else "none"
        return value


def check_source(source: Source, options: RenderOptions) -> None:
    if isinstance(source, Topic):
        with blame("topic"):
            check_topic(source)
    elif isinstance(source, str):
        with blame("story"):
            check_story(source, options.scene_count, options.language)
    else:
        check_shots(source)


def check_shots(shots: list[Shot]) -> None:
    """The limits of `pipelines.shot`, for a stage's caller (the API checked them at its door)."""
    with blame("storyboard"):
        if len(shots) > MAX_SHOTS:
            raise ValueError(f"a storyboard has at most {MAX_SHOTS} shots")
        check_scene_ids(shots, "shots")
    for index, shot in enumerate(shots):
        field = f"storyboard[{index}]"
        if shot.frame is None and not shot.prompt.strip():
            raise InvalidInput("a shot needs a prompt, or a frame of its own", f"{field}.prompt")
        if len(shot.narration) > MAX_LINE_CHARS:
            raise InvalidInput(f"narration is longer than {MAX_LINE_CHARS} characters", f"{field}.narration")
        if shot.duration is not None and not 0.5 <= shot.duration <= 30:
            raise InvalidInput("duration must be between 0.5 and 30 seconds", f"{field}.duration")
        if shot.seed is not None and not 0 <= shot.seed <= MAX_SEED:
            raise InvalidInput(f"seed must be between 0 and {MAX_SEED}", f"{field}.seed")


def check_inputs(source: Source, options: RenderOptions, settings) -> tuple[tuple[int, int], tuple[int, int]]:
    """Everything that needs no model; returns the keyframe and video sizes."""
    check_source(source, options)
    with blame("options.image.resolution"):
        image_size = parse_resolution(
            options.image.resolution or KEYFRAME_SIZES.get(options.aspect, ""), settings.max_pixels
        )
    with blame("options.image"):
        check_frames([FrameSpec(scene_id="s1", prompt="-")], options.image.num_steps, options.image.cfg_scale)
    if options.image.seed is not None and not 0 <= options.image.seed <= MAX_SEED:
        raise InvalidInput(f"seed must be between 0 and {MAX_SEED}", "options.image.seed")
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
    if music := options.music:
        if not 0 <= music.volume <= 1:
            raise InvalidInput("volume must be between 0 and 1", "options.music.volume")
        for name in ("fade_in", "fade_out"):
            if not 0 <= getattr(music, name) <= MAX_FADE_SECONDS:
                raise InvalidInput(f"{name} must be between 0 and {MAX_FADE_SECONDS} seconds", f"options.music.{name}")
    return image_size, video_size
