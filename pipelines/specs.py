"""Typed inputs and outputs of the stages."""

from pathlib import Path

from pydantic import BaseModel, Field


class Character(BaseModel):
    name: str
    description: str


class Scene(BaseModel):
    scene_id: str
    title: str
    prompt: str
    negative_prompt: str = ""
    narration: str
    bgm: str = ""
    characters: list[str] = Field(default_factory=list)


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


class Frame(BaseModel):
    scene_id: str
    frame: Path
    seed: int


class Line(BaseModel):
    scene_id: str
    text: str


class Audio(BaseModel):
    scene_id: str
    audio: Path
    duration: float


class ClipSpec(BaseModel):
    scene_id: str
    frame: Path
    duration: float
    transition: str = "crossfade"
    motion: str = "kenburns"
    prompt: str = ""


class Clip(BaseModel):
    scene_id: str
    clip: Path
    duration: float
    motion: str


def check_scene_ids(items: list, what: str) -> None:
    """Every stage takes a non-empty list whose scene_ids name files, so they must be unique."""
    if not items:
        raise ValueError(f"no {what}")
    if len({item.scene_id for item in items}) != len(items):
        raise ValueError("scene_id values must be unique")
