"""Projects: a story, its cast and its ordered shots, which a person edits, regenerates and renders
again. Stored by `studio.store.ProjectStore`.

Every edit marks stale only what depends on it (a new prompt: the keyframe and the clip; new
narration or emotion: the narration and the clip; a new camera: the clip). A render is a render task over
the project's shots as a storyboard: the artifact store hands back everything that did not
change, so only what is stale is made. Each shot keeps its takes (what one render or regenerate
made, with the fields that made it); selecting an earlier take brings its fields and files back.
"""

import secrets
import time

from pydantic import BaseModel, Field

from pipelines.shot import CharacterCore, ShotCore

ARTIFACTS = ("keyframe", "narration", "clip")
STALES = {  # an edited field -> the artifacts of its shot that must be made again
    "prompt": {"keyframe", "clip"},
    "negative_prompt": {"keyframe", "clip"},
    "characters": {"keyframe", "clip"},
    "seed": {"keyframe", "clip"},
    "own_keyframe": {"keyframe", "clip"},
    "narration": {"narration", "clip"},
    "voice": {"narration", "clip"},
    "speakers": {"narration", "clip"},
    "emotion": {"narration", "clip"},  # an engine that ignores it finds the same narration in the store
    "own_audio": {"narration", "clip"},
    "camera": {"clip"},
    "duration": {"clip"},
    "motion": {"clip"},
    "transition": {"clip"},
    "title": set(),
}
MADE_BY = {"keyframe": "frames", "narration": "narration", "clip": "clips"}  # artifact -> render stage
# A changed render option -> the artifacts of every shot it stales. An option not named here
# (subtitles, music) changes only the composition: nothing per shot is made again.
OPTION_STALES = {
    "image": {"keyframe", "clip"},
    "aspect": {"keyframe", "clip"},
    "voice": {"narration", "clip"},
    "speed": {"narration", "clip"},
    "video": {"clip"},
}


class ProjectCharacter(CharacterCore):
    """One of a project's cast (`pipelines.specs.Character`, with files as /data/ URLs)."""

    reference: str | None = None  # the caller's picture of it (/data/ URL): its identity instead of the design
    design: str | None = None  # the design portrait last drawn (/data/ URL)


class Take(BaseModel):
    take_id: str
    keyframe: str | None = None
    audio: str | None = None
    clip: str | None = None
    seed: int
    created_at: float = Field(default_factory=time.time)
    inputs: dict = Field(default_factory=dict, exclude=True)  # the shot's fields that made it


class Shot(ShotCore):
    """A project's shot: the core fields, its own files, what is stale, and its takes."""

    shot_id: str
    clip_seed: int | None = None  # set when only the clip was regenerated
    voice_variant: int = 0  # raised when only the narration was regenerated
    own_keyframe: str | None = None  # the caller's own picture (a /data/ URL), used instead of drawing one
    own_audio: str | None = None  # the caller's own narration audio, used instead of speaking the line
    stale: list[str] = Field(default_factory=lambda: list(ARTIFACTS))
    takes: list[Take] = Field(default_factory=list)
    take_id: str | None = None

    def take(self) -> Take | None:
        return next((t for t in self.takes if t.take_id == self.take_id), None)

    def mark(self, artifacts: set[str]) -> None:
        self.stale = [a for a in ARTIFACTS if a in artifacts or a in self.stale]


class RenderVersion(BaseModel):
    render_id: str
    task_id: str
    video: str | None = None
    subtitles: str | None = None
    subtitles_vtt: str | None = None  # the same cues as WebVTT, for a browser's <track>
    duration: float | None = None
    shots_made: list[str] = Field(default_factory=list)
    created_at: float = Field(default_factory=time.time)


class Project(BaseModel):
    project_id: str
    owner: str
    seq: int = 0
    title: str = ""
    story: str = ""
    style: str = "cinematic storybook illustration"
    language: str = "auto"
    options: dict = Field(default_factory=dict)
    status: str = "storyboarding"
    characters: list[ProjectCharacter] = Field(default_factory=list)
    shots: list[Shot] = Field(default_factory=list)
    renders: list[RenderVersion] = Field(default_factory=list)
    contact_sheet: str | None = None
    task_id: str | None = None
    error: dict | None = None
    created_at: float = Field(default_factory=time.time)
    updated_at: float = Field(default_factory=time.time)

    def shot(self, shot_id: str) -> Shot | None:
        return next((s for s in self.shots if s.shot_id == shot_id), None)

    def character(self, name: str) -> ProjectCharacter | None:
        return next((c for c in self.characters if c.name == name), None)

    def new_shot_id(self) -> str:
        taken = {s.shot_id for s in self.shots}
        number = len(self.shots) + 1
        while f"s{number}" in taken:
            number += 1
        return f"s{number}"


def new_project_id() -> str:
    return f"pr_{secrets.token_hex(8)}"


def new_take_id() -> str:
    return f"tk_{secrets.token_hex(6)}"
