"""Typed inputs and outputs of the stages."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel, Field

from pipelines.shot import SCENE_ID, CharacterCore, ShotCore, fields_of, view

Character = view(
    "Character",
    BaseModel,
    {
        **fields_of(
            CharacterCore, limits=False, design_seed={"default": None}
        ),  # None: drawn from the render's seed and the name
        "reference": (Path | None, None),
    },
    """One of the cast. Its identity image is its `reference` (a picture the caller gave) or else its
    design portrait, drawn from the description with `design_seed`; keyframes of the shots that name
    it are conditioned on that image with `strength` (the IP-Adapter scale).""",
    __name__,
)


class Identity(BaseModel):
    """A picture a keyframe is conditioned on, and how strongly."""

    image: Path
    strength: float


class Part(BaseModel):
    """A piece of a line spoken by one voice: the narrator's (speaker None) or a character's."""

    text: str
    speaker: str | None = None
    voice: str | None = None


class Keyed(BaseModel):
    scene_id: str


SCENE_FIELDS = ("title", "prompt", "negative_prompt", "narration", "bgm", "characters", "speakers", "camera", "emotion")
Scene = view(
    "Scene",
    Keyed,
    fields_of(ShotCore, SCENE_FIELDS, limits=False),
    "A scene of a storyboard: what the planner decides about a shot.",
    __name__,
)
Shot = view(
    "Shot",
    Scene,
    {
        **fields_of(
            ShotCore, tuple(set(ShotCore.model_fields) - set(SCENE_FIELDS)), optional=True, limits=False
        ),  # None: the render's own
        "frame": (Path | None, None),  # the caller's own keyframe, used instead of drawing one
        "audio": (Path | None, None),  # the caller's own recording, used instead of speaking the line
        "clip_seed": (int | None, None),  # the image-to-video seed, when it is not the keyframe's
        "voice_variant": (int, 0),  # another reading of the same line
    },
    "A shot of a storyboard sent to /render: what it carries is used, not made.",
    __name__,
)


class Storyboard(BaseModel):
    storyboard: list[Scene]
    characters: list[Character]
    style: str
    language: str
    warnings: list[str] = Field(default_factory=list)


class FrameSpec(BaseModel):
    scene_id: str
    prompt: str
    negative_prompt: str = ""
    seed: int = 0
    identities: list[Identity] = Field(default_factory=list)  # the characters' faces, in the shot's order


class Frame(BaseModel):
    scene_id: str
    frame: Path
    seed: int


class Line(BaseModel):
    scene_id: str
    text: str
    variant: int = 0  # another take of the same line: a different key, spoken again
    parts: list[Part] = Field(default_factory=list)  # who says what; empty: all of it in the line's voice
    style: str | None = None  # how it is spoken (its shot's emotion), for engines that take one


class Audio(BaseModel):
    scene_id: str
    audio: Path
    duration: float
    cues: list[tuple[float, float, str]] = Field(default_factory=list, exclude=True)  # each sentence's timing


class ClipSpec(BaseModel):
    scene_id: str
    frame: Path
    duration: float
    transition: str = "crossfade"
    motion: str = "kenburns"
    prompt: str = ""
    camera: str = "static"
    seed: int = 0  # of the image-to-video model


class Clip(BaseModel):
    scene_id: str
    clip: Path
    duration: float
    motion: str


class InvalidInput(ValueError):
    """A bad input, with the request field it came from (dotted, e.g. `image_style.resolution`)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@contextmanager
def blame(field: str) -> Iterator[None]:
    """Turn a check's ValueError into an InvalidInput that names `field`."""
    try:
        yield
    except InvalidInput:
        raise
    except ValueError as error:
        raise InvalidInput(str(error), field) from None


def check_scene_ids(items: list, what: str) -> None:
    """Every stage takes a non-empty list whose scene_ids name files: safe names, each once."""
    if not items:
        raise ValueError(f"no {what}")
    for item in items:
        if not SCENE_ID.match(item.scene_id):
            raise ValueError("scene_id must be 1-64 letters, digits, '_' or '-'")
    if len({item.scene_id for item in items}) != len(items):
        raise ValueError("scene_id values must be unique")
