"""Request and response bodies of the HTTP contract (shared/API.md). Unknown fields are refused."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipelines.compose import ALL_TRANSITIONS
from pipelines.narration import MAX_LINE_CHARS
from pipelines.specs import SCENE_ID
from pipelines.storyboard import MAX_SCENES, MAX_STORY_CHARS
from server.store import STATUSES

MAX_ITEMS = 64  # scenes in one /frames, /clips or /narration request
MAX_PROMPT_CHARS = 2000

SceneId = Annotated[str, Field(pattern=SCENE_ID.pattern, examples=["s1"])]
Story = Annotated[str, Field(min_length=1, max_length=MAX_STORY_CHARS)]
Style = Annotated[str, Field(max_length=200)]
MAX_JSON_INT = 2**53 - 1  # the largest integer every JSON client (JavaScript too) holds exactly
Seed = Annotated[int, Field(ge=0, le=MAX_JSON_INT)]
Transition = Literal[ALL_TRANSITIONS]
Motion = Literal["i2v", "kenburns", "static"]
Kind = Literal["storyboard", "frames", "clips", "narration", "render"]
Status = Literal[STATUSES]


def no_nul(value):
    """NUL is never text: it truncates C strings in the libraries below (espeak, libass, ffmpeg)."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    if isinstance(value, list):
        for item in value:
            no_nul(item)
    return value


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value):
        return no_nul(value)


class StoryboardCreate(Body):
    story: Story
    style: Style | None = None
    scenes: int | None = Field(None, ge=1, le=MAX_SCENES)
    language: Literal["auto", "zh", "en"] = "auto"


class FrameSceneCreate(Body):
    """A scene to draw; a /storyboard scene can be sent as it is (title, bgm, characters are ignored)."""

    scene_id: SceneId
    prompt: str = Field(min_length=1, max_length=MAX_PROMPT_CHARS)
    negative_prompt: str = Field("", max_length=MAX_PROMPT_CHARS)
    narration: str | None = Field(None, max_length=MAX_LINE_CHARS)
    title: str | None = Field(None, max_length=200)
    bgm: str | None = Field(None, max_length=200)
    characters: list[Annotated[str, Field(max_length=100)]] | None = Field(None, max_length=16)


class ImageStyle(Body):
    resolution: str | None = Field(None, max_length=20, examples=["768x512"], description="default 768x512")
    num_steps: int = Field(4, ge=1, le=8)
    cfg_scale: float = Field(0.0, ge=0, le=10)
    seed: Seed | None = None


class FramesCreate(Body):
    storyboard: list[FrameSceneCreate] = Field(min_length=1, max_length=MAX_ITEMS)
    image_style: ImageStyle = Field(default_factory=ImageStyle)


class ClipFrameCreate(Body):
    scene_id: SceneId
    frame: str = Field(
        pattern=r"^(/data/|data:image/)", description="/data/<task>/frames/s1.png or data:image/png;base64,..."
    )
    duration: float = Field(ge=0.5, le=30)
    transition: Transition = "crossfade"
    motion: Motion = "i2v"


class VideoStyle(Body):
    fps: int = Field(24, ge=1, le=60)
    resolution: str = Field("720p", max_length=20, examples=["720p", "1080p", "1280x720"])
    transition_duration: float = Field(0.5, ge=0, le=2)


class ClipsCreate(Body):
    frames: list[ClipFrameCreate] = Field(min_length=1, max_length=MAX_ITEMS)
    video: VideoStyle = Field(default_factory=VideoStyle)


class LineCreate(Body):
    scene_id: SceneId
    text: str = Field(max_length=MAX_LINE_CHARS)


class NarrationCreate(Body):
    lines: list[LineCreate] = Field(min_length=1, max_length=MAX_ITEMS)
    voice: str | None = Field(None, max_length=100)
    speed: float = Field(1.0, ge=0.5, le=2.0)
    format: Literal["wav", "mp3"] = "wav"
    language: str = Field("auto", pattern=r"^(auto|[a-z]{2,3}(-[A-Za-z]{2,4})?)$")


class RenderVideo(VideoStyle):
    transition: Transition = "crossfade"
    motion: Motion = "i2v"


class RenderOptionsCreate(Body):
    scene_count: int | None = Field(None, ge=1, le=MAX_SCENES)
    image: ImageStyle = Field(default_factory=ImageStyle)
    video: RenderVideo = Field(default_factory=RenderVideo)
    voice: str | None = Field(None, max_length=100)
    speed: float = Field(1.0, ge=0.5, le=2.0)
    music: bool = False
    subtitles: bool = True
    aspect: Literal["16:9", "9:16", "1:1"] = "16:9"


class RenderCreate(Body):
    story: Story
    style: Style | None = None
    options: RenderOptionsCreate = Field(default_factory=RenderOptionsCreate)


class TaskCreatedPublic(BaseModel):
    task_id: str
    kind: Kind
    status: Status


class StagePublic(BaseModel):
    name: str
    status: Status
    progress: float


class TaskErrorPublic(BaseModel):
    code: str
    message: str
    stage: str | None = None


class TaskPublic(BaseModel):
    task_id: str
    kind: Kind
    status: Status
    progress: float
    stage: str | None
    stages: list[StagePublic]
    result: dict | None
    error: TaskErrorPublic | None
    warnings: list[str]
    created_at: str
    started_at: str | None
    finished_at: str | None
    timings: dict[str, float]


class TaskListPublic(BaseModel):
    tasks: list[TaskPublic]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next, older page")


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorPublic(BaseModel):
    error: ErrorDetail


class SystemPublic(BaseModel):
    ready: bool
    device: str
    dtype: str
    models: list[dict]
    memory: dict[str, float | None]
    queue: dict[str, int]
    versions: dict[str, str]


class StatusPublic(BaseModel):
    status: str
