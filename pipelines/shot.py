"""A shot and a character, each declared once: every field with its type, limits and default.

Every other shape of them derives from these two classes: the stage's scenes and shots
(`pipelines.specs`), the project's stored shots and cast (`studio.project`), and the API's bodies
and views (`server.schemas`). A new shot field goes into `ShotCore`, and nowhere else; a view
that must not carry it leaves it out by name.
"""

import re
from types import NoneType, UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, Field, create_model
from pydantic.fields import FieldInfo

CAMERAS = ("static", "pan_left", "pan_right", "push_in", "pull_out", "tilt_up", "tilt_down", "orbit")
MOTIONS = ("i2v", "kenburns", "static")
TRANSITIONS = (
    "crossfade",
    "fade",
    "fadeblack",
    "fadewhite",
    "dissolve",
    "wipeleft",
    "wiperight",
    "slideleft",
    "slideright",
    "circleopen",
    "radial",
    "smoothleft",
    "zoomin",
    "none",
)
SCENE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_LINE_CHARS = 20_000  # a scene can hold a whole story; lines are spoken in sentence pieces
MAX_PROMPT_CHARS = 2000
MAX_JSON_INT = 2**53 - 1  # the largest integer every JSON client (JavaScript too) holds exactly
MAX_NAME_CHARS = 60
MAX_DESCRIPTION_CHARS = 400

SceneId = Annotated[str, Field(pattern=SCENE_ID.pattern, examples=["s1"])]
Prompt = Annotated[str, Field(max_length=MAX_PROMPT_CHARS)]
Narration = Annotated[str, Field(max_length=MAX_LINE_CHARS)]
Seed = Annotated[int, Field(ge=0, le=MAX_JSON_INT)]
Camera = Literal[CAMERAS]
Motion = Literal[MOTIONS]
Transition = Literal[TRANSITIONS]
Name = Annotated[str, Field(max_length=100)]
Strength = Annotated[float, Field(ge=0, le=1, description="how strongly keyframes follow its identity image")]


class ShotCore(BaseModel):
    """What a person decides about a shot. Files (a keyframe, a recording) are not here: each view
    holds them in its own form (a path for a stage, a /data/ URL for the API and the project)."""

    title: str = Field("", max_length=200)
    prompt: Prompt = ""
    negative_prompt: Prompt = ""
    narration: Narration = ""
    bgm: str = Field("", max_length=200)
    characters: list[Name] = Field([], max_length=16)  # pydantic copies a list default for each shot
    speakers: list[Name] = Field([], max_length=64, description="who says each quotation of the narration, in order")
    camera: Camera = "static"
    emotion: str | None = Field(
        None, max_length=100, description="how its line is spoken, e.g. 'whispering, afraid' (Qwen3-TTS reads it)"
    )
    duration: float | None = Field(None, ge=0.5, le=30)  # the clip's length; default: its narration + a pause
    motion: Motion | None = None
    transition: Transition | None = None
    voice: str | None = Field(None, max_length=100)
    seed: Seed = 0


class CharacterCore(BaseModel):
    """One of the cast: how it looks, how it sounds, and how strongly keyframes follow its face."""

    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    description: str = Field("", max_length=MAX_DESCRIPTION_CHARS)
    voice_description: str = Field("", max_length=200)
    voice: str | None = None  # the engine's voice, or a reference clip; None: one is assigned
    strength: Strength = 0.6
    design_seed: Seed = 0


def fields_of(
    core: type[BaseModel],
    names: tuple[str, ...] | None = None,
    *,
    optional: bool = False,
    required: bool = False,
    not_null: bool = False,
    limits: bool = True,
    **changes: dict[str, Any],
) -> dict[str, tuple[Any, FieldInfo]]:
    """The core's fields (all, or those in `names`, in the core's order) for `view`. `optional`: each
    may be left out (null by default); `required`: each must be there, as in a response (null where
    the core allows it, unless `not_null`). `changes` holds what one field needs otherwise in this
    view (a default, a minimum length, a pattern); its type and every other limit stay the core's.
    Outside `required`, a field takes null exactly when its default is null. Without `limits` the
    types stay and the limits go: a stage's own `check_inputs` names what is out of range."""
    fields = {}
    for name, info in core.model_fields.items():
        if names is not None and name not in names:
            continue
        extra = dict(changes.get(name, {}))
        if required:
            default = ...
        elif "default" in extra:
            default = extra.pop("default")
        else:
            default = None if optional else info.get_default()
        annotation = without_none(info.annotation)
        nullable = (not not_null and annotation is not info.annotation) if required else default is None
        typed = annotation | None if nullable else annotation
        typed = Annotated[typed, *info.metadata] if info.metadata and limits else typed
        described = {"description": info.description, "examples": info.examples, **extra}
        fields[name] = (typed, Field(default, **described))
    return fields


def without_none(annotation: Any) -> Any:
    if get_origin(annotation) not in (Union, UnionType):
        return annotation
    kept = [arg for arg in get_args(annotation) if arg is not NoneType]
    return annotation if len(kept) == len(get_args(annotation)) else Union[tuple(kept)]  # noqa: UP007


def view(name: str, base: type[BaseModel], fields: dict, doc: str, module: str, **validators) -> type:
    """A model called `name`, over `base`, with fields picked from a core by `fields_of`."""
    return create_model(name, __base__=base, __doc__=doc, __module__=module, __validators__=validators, **fields)
