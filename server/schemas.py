"""Request and response bodies of the HTTP contract (shared/API.md). Unknown fields are refused."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from pipelines.cast import MAX_CHARACTERS, valid_name
from pipelines.render_options import MAX_FADE_SECONDS, MAX_SHOTS
from pipelines.shot import CharacterCore, Motion, Narration, SceneId, Seed, ShotCore, Transition, fields_of, view
from pipelines.story_writer import MAX_DETAIL_CHARS, MAX_TOPIC_CHARS
from pipelines.storyboard import MAX_SCENES, MAX_STORY_CHARS
from pipelines.subtitles import MODES

FINISHED = ("done", "error", "cancelled")
STATUSES = ("pending", "running", "paused", *FINISHED)
MAX_ITEMS = 64  # scenes in one /frames, /clips or /narration request

Story = Annotated[str, Field(min_length=1, max_length=MAX_STORY_CHARS)]
Style = Annotated[str, Field(max_length=200)]
Kind = Literal["storyboard", "frames", "clips", "narration", "render"]
SubtitleMode = Literal[MODES]
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
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)  # JSON types as documented

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value):
        return no_nul(value)


DataFile = Annotated[
    str, Field(pattern=r"^/data/", max_length=1000, examples=["/data/uploads/up_0a1b2c3d4e5f6a7b.png"])
]
FrameRef = Annotated[
    str,
    Field(
        pattern=r"^(/data/|data:image/)",
        description="/data/<task>/frames/s1.png, /data/uploads/<id>.png, or data:image/png;base64,...",
    ),
]


class TopicCreate(Body):
    topic: str = Field(min_length=1, max_length=MAX_TOPIC_CHARS, examples=["a lighthouse keeper's last night"])
    main_character: str | None = Field(None, max_length=MAX_DETAIL_CHARS)
    setting: str | None = Field(None, max_length=MAX_DETAIL_CHARS)
    length: Literal["short", "medium", "long"] = "medium"


class StoryboardCreate(Body):
    """`story` or `topic` (the LLM writes the story first)."""

    story: Story | None = None
    topic: TopicCreate | None = None
    style: Style | None = None
    scenes: int | None = Field(None, ge=1, le=MAX_SCENES)
    language: Literal["auto", "zh", "en"] = "auto"


ShotFields = view(
    "ShotFields",
    Body,
    {
        "scene_id": (SceneId, ...),
        **fields_of(ShotCore, optional=True),
        "text": (Narration | None, None),
        "frame": (FrameRef | None, None),
        "audio": (DataFile | None, None),
        "clip": (DataFile | None, None),
    },
    """Every field a stage's result items carry. Chaining sends an item on as it is: each stage
    reads what it needs and ignores the rest; a field no stage knows is refused.""",
    __name__,
)
FrameSceneCreate = view(
    "FrameSceneCreate",
    ShotFields,
    fields_of(ShotCore, ("prompt",), required=True, prompt={"min_length": 1}),
    "A scene to draw; a /storyboard scene can be sent as it is.",
    __name__,
)


class ImageStyle(Body):
    resolution: str | None = Field(None, max_length=20, examples=["768x512"], description="default 768x512")
    num_steps: int = Field(4, ge=1, le=8)
    cfg_scale: float = Field(0.0, ge=0, le=10)
    seed: Seed | None = None


class FramesCreate(Body):
    storyboard: list[FrameSceneCreate] = Field(min_length=1, max_length=MAX_ITEMS)
    image_style: ImageStyle = Field(default_factory=ImageStyle)


ClipFrameCreate = view(
    "ClipFrameCreate",
    ShotFields,
    {
        "frame": (FrameRef, ...),
        **fields_of(ShotCore, ("duration",), required=True, not_null=True),
        **fields_of(
            ShotCore,
            ("camera", "motion", "transition"),
            transition={"default": "crossfade"},
            motion={"default": "i2v"},
            camera={"default": "static"},
        ),
    },
    "A keyframe to animate; a /frames item (seed included) can be sent as it is.",
    __name__,
)


class VideoStyle(Body):
    fps: int = Field(24, ge=1, le=60)
    resolution: str = Field("720p", max_length=20, examples=["720p", "1080p", "1280x720"])
    transition_duration: float = Field(0.5, ge=0, le=2)


class ClipsCreate(Body):
    frames: list[ClipFrameCreate] = Field(min_length=1, max_length=MAX_ITEMS)
    video: VideoStyle = Field(default_factory=VideoStyle)


class LineCreate(ShotFields):
    """A line to speak: `text`, or a /storyboard scene's `narration` as it is."""

    @model_validator(mode="after")
    def _has_text(self):
        if self.text is None and self.narration is None:
            raise ValueError("a line needs text (or narration)")
        return self


class NarrationCreate(Body):
    lines: list[LineCreate] = Field(min_length=1, max_length=MAX_ITEMS)
    voice: str | None = Field(None, max_length=100)
    speed: float = Field(1.0, ge=0.5, le=2.0)
    format: Literal["wav", "mp3"] = "wav"
    language: str = Field("auto", pattern=r"^(auto|[a-z]{2,3}(-[A-Za-z]{2,4})?)$")


ShotCreate = view(
    "ShotCreate",
    ShotFields,
    fields_of(
        ShotCore,
        ("prompt", "negative_prompt", "narration", "camera"),
        prompt={"default": ""},
        negative_prompt={"default": ""},
        narration={"default": ""},
        camera={"default": "static"},
    ),
    """A shot of a storyboard to render: what it carries (frame, audio, duration, motion, camera,
    transition, seed) is used, not made.""",
    __name__,
)


class RenderVideo(VideoStyle):
    transition: Transition = "crossfade"
    motion: Motion = "i2v"


class MusicCreate(Body):
    track: DataFile | None = Field(None, description="an uploaded or produced sound; else one from S2V_MUSIC_DIR")
    volume: float = Field(0.25, ge=0, le=1)
    fade_in: float = Field(1.5, ge=0, le=MAX_FADE_SECONDS)
    fade_out: float = Field(2.0, ge=0, le=MAX_FADE_SECONDS)
    duck: StrictBool = True


class RenderOptionsCreate(Body):
    scene_count: int | None = Field(None, ge=1, le=MAX_SCENES)
    image: ImageStyle = Field(default_factory=ImageStyle)
    video: RenderVideo = Field(default_factory=RenderVideo)
    voice: str | None = Field(None, max_length=100)
    speed: float = Field(1.0, ge=0.5, le=2.0)
    music: StrictBool | MusicCreate = False
    subtitles: StrictBool | SubtitleMode = Field(
        True,
        description='"burn" (true): drawn into the picture; "soft": a language-tagged mov_text stream in the mp4, '
        'the picture clean; "both"; "none" (false). The .srt and .vtt are written in every mode.',
    )
    aspect: Literal["16:9", "9:16", "1:1"] = "16:9"


def checked_name(name: str) -> str:
    if not valid_name(name):
        raise ValueError("a name has 1-60 characters, no slash, no control characters, no space around it")
    return name


VOICE = {
    "max_length": 1000,
    "pattern": r"^(/data/.+|[^/\\]+)$",
    "description": "a voice of the engine (GET /system lists them), or a /data/ URL of a speech clip",
}
CharacterFields = view(
    "CharacterFields",
    Body,
    {
        **fields_of(CharacterCore, ("description", "voice_description", "voice"), optional=True, voice=VOICE),
        "reference": (
            DataFile | None,
            Field(None, description="an uploaded picture: its identity instead of the design"),
        ),
        **fields_of(CharacterCore, ("strength",), optional=True),
    },
    "What a caller may set on a character.",
    __name__,
)
CharacterCreate = view(
    "CharacterCreate",
    CharacterFields,
    {
        **fields_of(CharacterCore, ("name",), required=True, name={"pattern": r"^[^/\\]+$"}),
        **fields_of(CharacterCore, ("design_seed",), optional=True),
    },
    "A character of the cast; a render's `characters` replace the storyboard's of the same name.",
    __name__,
    checked_name=field_validator("name")(lambda cls, name: checked_name(name)),
)
CharacterUpdate = view(
    "CharacterUpdate",
    CharacterFields,
    {},
    "Any field; `null` clears `voice` (one is assigned) or `reference` (the design is the identity).",
    __name__,
)
CharacterPublic = view(
    "CharacterPublic",
    BaseModel,
    {
        **fields_of(CharacterCore, ("name", "description", "voice_description", "voice"), required=True),
        "reference": (str | None, ...),
        "design": (str | None, ...),
        **fields_of(CharacterCore, ("design_seed", "strength"), required=True),
        "etag": (str, Field(description="send as If-Match with a write: a newer state is a 412")),
    },
    "One of a project's cast as the API shows it.",
    __name__,
)


class CharacterListPublic(BaseModel):
    characters: list[CharacterPublic]


class RenderCreate(Body):
    """Exactly one of `story`, `storyboard` (shots, as /storyboard returns them or edited) or `topic`;
    `characters`: the cast's references and voices (merged with the storyboard's by name)."""

    story: Story | None = None
    storyboard: list[ShotCreate] | None = Field(None, min_length=1, max_length=MAX_SHOTS)
    topic: TopicCreate | None = None
    characters: list[CharacterCreate] | None = Field(None, max_length=MAX_CHARACTERS)
    style: Style | None = None
    options: RenderOptionsCreate = Field(default_factory=RenderOptionsCreate)


class UploadPublic(BaseModel):
    url: str
    kind: Literal["image", "audio", "document", "timeline"]
    media_type: str
    size: int


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
    reason: str | None = Field(
        None,
        description="with a 400: too_long, too_short, too_many, too_few, too_large, too_small, not_allowed, "
        "bad_format, required, unknown_field, bad_json, wrong_type or invalid",
    )
    limit: int | float | str | None = Field(None, description="the limit the value passed (a length, a bound)")


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
    voices: list[str] = Field(description="the voices a character or a render may take (the speech engine's)")
    speech_styles: bool = Field(
        description="whether the speech engine speaks a shot's emotion (Qwen3-TTS's custom-voice model); "
        "the others ignore it (false, too, before the speech model has loaded)"
    )
    cluster: dict | None = None  # with S2V_RAY_ADDRESS: nodes, render slots, items done and lost


class StatusPublic(BaseModel):
    status: str
