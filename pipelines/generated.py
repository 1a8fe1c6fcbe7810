"""What a render's model stages made so far, and what composition needs to finish the video: the
record the steps of `pipelines.render.generate` (and `pipelines.voiced_clips`) fill in turn."""

from dataclasses import dataclass, field
from pathlib import Path

from pipelines.artifact_store import ArtifactStore
from pipelines.fonts import Font
from pipelines.specs import Audio, Clip, Frame, Shot, Storyboard
from pipelines.story_writer import WrittenStory


@dataclass
class Generated:
    """What the model stages made, and what composition needs to finish the video."""

    storyboard: Storyboard
    shots: list[Shot]
    chosen: list[Shot]  # the shots this render makes files for
    seeds: dict[str, int]  # each shot's keyframe seed
    story: WrittenStory | None
    width: int
    height: int
    overlap: float
    font: Font | None
    warnings: list[str]
    frames: list[Frame] = field(default_factory=list)
    audios: list[Audio] = field(default_factory=list)
    clips: list[Clip] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    music: Path | None = None  # the bed: a user's track or one the music model composed
    designs: dict[str, Path] = field(default_factory=dict)  # each character's design portrait
    store: ArtifactStore | None = None  # where the stages' artifacts (and composition's segments) live


def carried(store: ArtifactStore, given: Path, folder: Path, scene_id: str) -> Path:
    """A file the caller's shot carries, linked into the task folder beside the ones it made."""
    return store.place(given, folder / f"{scene_id}{given.suffix.lower()}")
