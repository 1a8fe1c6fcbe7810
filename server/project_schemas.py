"""Request and response bodies of projects, shots and takes (shared/API.md, "Projects")."""

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from pipelines.render_options import MAX_SHOTS
from server.schemas import (
    Body,
    Camera,
    CharacterPublic,
    DataFile,
    Motion,
    Narration,
    Prompt,
    RenderOptionsCreate,
    SceneId,
    Seed,
    Story,
    Style,
    TopicCreate,
    Transition,
)


class ProjectCreate(Body):
    """Exactly one of `story`, `topic` or `document` (an uploaded document's /data/ URL)."""

    title: str | None = Field(None, max_length=200)
    story: Story | None = None
    topic: TopicCreate | None = None
    document: DataFile | None = None
    style: Style | None = None
    language: Literal["auto", "zh", "en"] = "auto"
    options: RenderOptionsCreate = Field(default_factory=RenderOptionsCreate)


class ProjectUpdate(Body):
    title: str | None = Field(None, max_length=200)
    style: Style | None = None
    options: RenderOptionsCreate | None = None


class ProjectShotFields(Body):
    title: str | None = Field(None, max_length=200)
    prompt: Prompt | None = None
    negative_prompt: Prompt | None = None
    narration: Narration | None = None
    characters: list[Annotated[str, Field(max_length=100)]] | None = Field(None, max_length=16)
    speakers: list[Annotated[str, Field(max_length=100)]] | None = Field(
        None, max_length=64, description="who says each quotation of the narration, in order"
    )
    camera: Camera | None = None
    emotion: str | None = Field(None, max_length=100)
    duration: float | None = Field(None, ge=0.5, le=30)
    motion: Motion | None = None
    transition: Transition | None = None
    voice: str | None = Field(None, max_length=100)
    seed: Seed | None = None
    keyframe: DataFile | None = Field(None, description="an uploaded picture to use instead of drawing one")
    audio: DataFile | None = Field(None, description="an uploaded recording to use instead of speaking the line")


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


class ShotPublic(BaseModel):
    shot_id: str
    index: int
    title: str
    prompt: str
    negative_prompt: str
    narration: str
    characters: list[str]
    speakers: list[str]
    camera: str
    emotion: str | None
    duration: float | None
    motion: str | None
    transition: str | None
    voice: str | None
    seed: int
    stale: list[str]
    keyframe: str | None
    audio: str | None
    clip: str | None
    takes: list[TakePublic]
    take_id: str | None


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
