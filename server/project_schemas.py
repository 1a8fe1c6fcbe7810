"""Request and response bodies of projects, shots and takes (shared/API.md, "Projects")."""

from typing import Literal

from pydantic import BaseModel, Field, StrictBool

from pipelines.exports import FORMATS
from pipelines.render_options import MAX_SHOTS
from pipelines.shot import SceneId, Seed, ShotCore, fields_of, view
from server.schemas import (
    Body,
    CharacterPublic,
    DataFile,
    RenderOptionsCreate,
    Story,
    Style,
    SubtitleMode,
    TopicCreate,
)
from studio.recut import Applied, Ignored


class ProjectOptionsCreate(RenderOptionsCreate):
    """A project's render options: as /render's, but its subtitles are a stream beside the picture
    unless asked for otherwise (the studio's player shows them from the .vtt, once)."""

    subtitles: StrictBool | SubtitleMode = Field(
        "soft", description=RenderOptionsCreate.model_fields["subtitles"].description
    )


class ProjectCreate(Body):
    """Exactly one of `story`, `topic` or `document` (an uploaded document's /data/ URL)."""

    title: str | None = Field(None, max_length=200)
    story: Story | None = None
    topic: TopicCreate | None = None
    document: DataFile | None = None
    style: Style | None = None
    language: Literal["auto", "zh", "en"] = "auto"
    options: ProjectOptionsCreate = Field(default_factory=ProjectOptionsCreate)


class ProjectUpdate(Body):
    title: str | None = Field(None, max_length=200)
    style: Style | None = None
    options: ProjectOptionsCreate | None = None


EDITABLE = tuple(name for name in ShotCore.model_fields if name != "bgm")  # the mood is the planner's
ProjectShotFields = view(
    "ProjectShotFields",
    Body,
    {
        **fields_of(ShotCore, EDITABLE, optional=True),
        "keyframe": (DataFile | None, Field(None, description="an uploaded picture to use instead of drawing one")),
        "audio": (
            DataFile | None,
            Field(None, description="an uploaded recording to use instead of speaking the line"),
        ),
    },
    "What a caller may set on a project's shot.",
    __name__,
)


class ProjectShotUpdate(ProjectShotFields):
    index: int | None = Field(None, ge=0, le=MAX_SHOTS - 1, description="move the shot to this position")


class ProjectShotCreate(ProjectShotFields):
    after: SceneId | None = Field(None, description="insert after this shot; first when absent")


class RegenerateCreate(Body):
    what: list[Literal["keyframe", "narration", "clip"]] = Field(min_length=1, max_length=3)
    seed: Seed | None = None


class CharacterRegenerateCreate(Body):
    seed: Seed | None = Field(None, description="the design portrait's seed; a new one when absent")


class ProjectRenderCreate(Body):
    until: Literal["storyboard", "keyframes", "narration", "clips", "video"] = "video"


class TakePublic(BaseModel):
    take_id: str
    keyframe: str | None
    audio: str | None
    clip: str | None
    seed: int
    created_at: str


ShotPublic = view(
    "ShotPublic",
    BaseModel,
    {
        "shot_id": (str, ...),
        "index": (int, ...),
        **fields_of(ShotCore, EDITABLE, required=True),
        "stale": (list[str], ...),
        "keyframe": (str | None, ...),
        "audio": (str | None, ...),
        "clip": (str | None, ...),
        "takes": (list[TakePublic], ...),
        "take_id": (str | None, ...),
        "etag": (str, Field(description="send as If-Match with a write: a newer state is a 412")),
    },
    "A project's shot as the API shows it: its fields, what is stale, its selected take's files.",
    __name__,
)


class RenderPublic(BaseModel):
    render_id: str
    task_id: str
    video: str | None
    subtitles: str | None
    subtitles_vtt: str | None
    duration: float | None
    shots_made: list[str]
    created_at: str


class ProjectPublic(BaseModel):
    project_id: str
    title: str
    story: str
    style: str
    language: str
    options: dict
    status: Literal["storyboarding", "ready", "rendering", "paused", "rendered", "error"]
    error: dict | None
    characters: list[CharacterPublic]
    shots: list[ShotPublic]
    renders: list[RenderPublic]
    contact_sheet: str | None
    task_id: str | None
    created_at: str
    updated_at: str


class ProjectListPublic(BaseModel):
    projects: list[ProjectPublic]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next, older page")


ExportFormat = Literal[FORMATS]


class TimelineImportCreate(Body):
    timeline: DataFile = Field(
        description="an uploaded timeline (POST /uploads, kind `timeline`)",
        examples=["/data/uploads/up_0a1b2c3d4e5f6a7b.otio"],
    )


class TimelineImportPublic(BaseModel):
    project: ProjectPublic
    applied: list[Applied] = Field(description="each change made to a shot: its order (`index`) or `duration`")
    ignored: list[Ignored] = Field(description="what changed nothing, and why: removed clips, repeated clips")
