"""What each kind of task stores and queues: its validated request, typed. A request is the body the
caller sent (checked by `server.prepare`, with what it left open fixed: a seed, a resolution, an
uploaded keyframe's file), plus, for a project's task, which project and how far it goes. Kept as
JSON in the job table, so a restart queues exactly the same request again."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from server.schemas import ClipsCreate, FramesCreate, NarrationCreate, RenderCreate, StoryboardCreate

UNTIL = Literal["storyboard", "cast", "keyframes", "narration", "clips", "video"]


class Variant(BaseModel):
    """Another take of a project's shot without new fields: a new motion seed, another reading."""

    clip_seed: int | None = None
    voice_variant: int = 0


class ProjectPart(BaseModel):
    """A project's task: which project, how far it goes, which shots it makes (None: every one)."""

    model_config = ConfigDict(extra="forbid")

    project_id: str
    until: UNTIL = "video"
    only: list[str] | None = None
    variants: dict[str, Variant] = Field(default_factory=dict)


class OfProject(BaseModel):
    project: ProjectPart | None = None  # only a project's storyboard and renders have one


class StoryboardRequest(StoryboardCreate, OfProject):
    pass


class FramesRequest(FramesCreate, OfProject):
    pass


class NarrationRequest(NarrationCreate, OfProject):
    pass


class ClipsRequest(ClipsCreate, OfProject):
    pass


class RenderRequest(RenderCreate, OfProject):
    pass


TaskRequest = StoryboardRequest | FramesRequest | NarrationRequest | ClipsRequest | RenderRequest
REQUESTS: dict[str, type[TaskRequest]] = {
    "storyboard": StoryboardRequest,
    "frames": FramesRequest,
    "narration": NarrationRequest,
    "clips": ClipsRequest,
    "render": RenderRequest,
}


def request_of(kind: str, body: BaseModel) -> TaskRequest:
    """The request a validated body becomes (same fields, the kind's own type)."""
    return REQUESTS[kind].model_validate_json(body.model_dump_json())


def parse_request(kind: str, data: str) -> TaskRequest:
    """A request as the job table stored it."""
    return REQUESTS[kind].model_validate_json(data)
