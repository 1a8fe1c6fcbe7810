"""Projects: a story, its cast and its ordered shots, which a person edits, regenerates and renders
again. Stored in the job table's SQLite file, written through like tasks.

Every edit marks stale only what depends on it (a new prompt: the keyframe and the clip; new
narration: the narration and the clip; a new camera: the clip). A render is a render task over
the project's shots as a storyboard: the artifact store hands back everything that did not
change, so only what is stale is made. Each shot keeps its takes (what one render or regenerate
made, with the fields that made it); selecting an earlier take brings its fields and files back.
"""

import json
import secrets
import sqlite3
import threading
import time
from pathlib import Path

from loguru import logger
from pydantic import BaseModel, Field

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
    "own_audio": {"narration", "clip"},
    "camera": {"clip"},
    "duration": {"clip"},
    "motion": {"clip"},
    "transition": {"clip"},
    "title": set(),
    "emotion": set(),
}
MADE_BY = {"keyframe": "frames", "narration": "narration", "clip": "clips"}  # artifact -> render stage
OPTION_STALES = {  # a changed render option -> the artifacts of every shot it stales
    "image": {"keyframe", "clip"},
    "aspect": {"keyframe", "clip"},
    "voice": {"narration", "clip"},
    "speed": {"narration", "clip"},
    "video": {"clip"},
}


class ProjectCharacter(BaseModel):
    """One of a project's cast (pipelines.specs.Character, with files as /data/ URLs)."""

    name: str
    description: str = ""
    voice_description: str = ""
    voice: str | None = None  # a voice of the engine, or a /data/ URL of a reference clip; None: assigned
    reference: str | None = None  # the caller's picture of it (/data/ URL): its identity instead of the design
    design: str | None = None  # the design portrait last drawn (/data/ URL)
    design_seed: int = 0
    strength: float = 0.6


class Take(BaseModel):
    take_id: str
    keyframe: str | None = None
    audio: str | None = None
    clip: str | None = None
    seed: int
    created_at: float = Field(default_factory=time.time)
    inputs: dict = Field(default_factory=dict, exclude=True)  # the shot's fields that made it


class Shot(BaseModel):
    shot_id: str
    title: str = ""
    prompt: str = ""
    negative_prompt: str = ""
    narration: str = ""
    bgm: str = ""
    characters: list[str] = Field(default_factory=list)
    speakers: list[str] = Field(default_factory=list)  # who says each quotation of the narration
    camera: str = "static"
    emotion: str | None = None
    duration: float | None = None
    motion: str | None = None
    transition: str | None = None
    voice: str | None = None
    seed: int = 0
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


class ProjectStore:
    """Projects in memory, written through to the `projects` table; a restart loses nothing."""

    def __init__(self, db_path: Path):
        self._lock = threading.RLock()
        self._db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS projects (project_id TEXT PRIMARY KEY, seq INTEGER, owner TEXT, data TEXT)"
        )
        self._projects: dict[str, Project] = {}
        for project_id, data in self._db.execute("SELECT project_id, data FROM projects ORDER BY seq"):
            try:
                project = Project.model_validate_json(data)
            except ValueError as error:  # one damaged row must not keep the server from starting
                logger.error("project {} in the job table cannot be read, left out: {}", project_id, error)
                continue
            self._projects[project.project_id] = project
        self._seq = max((p.seq for p in self._projects.values()), default=0)
        self.lock = self._lock  # held by whoever edits a project, so two edits never interleave

    def add(self, project: Project) -> Project:
        with self._lock:
            self._seq += 1
            project.seq = self._seq
            self._projects[project.project_id] = project
            self.save(project)
            return project

    def save(self, project: Project) -> None:
        with self._lock:
            if project.project_id not in self._projects:
                return  # deleted while a task was still finishing for it
            project.updated_at = time.time()
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO projects (project_id, seq, owner, data) VALUES (?, ?, ?, ?)",
                    (project.project_id, project.seq, project.owner, self._serialise(project)),
                )
            except sqlite3.Error as error:  # a full or read-only disk: keep serving from memory
                logger.error("cannot write project {} to the job table: {}", project.project_id, error)

    @staticmethod
    def _serialise(project: Project) -> str:
        """Everything, the takes' inputs included (they are left out of the public view only)."""
        data = project.model_dump(mode="json")
        for shot, stored in zip(project.shots, data["shots"], strict=True):
            for take, stored_take in zip(shot.takes, stored["takes"], strict=True):
                stored_take["inputs"] = take.inputs
        return json.dumps(data, ensure_ascii=False)

    def get(self, project_id: str) -> Project | None:
        return self._projects.get(project_id)

    def delete(self, project_id: str) -> None:
        with self._lock:
            self._projects.pop(project_id, None)
            try:
                self._db.execute("DELETE FROM projects WHERE project_id = ?", (project_id,))
            except sqlite3.Error as error:  # gone from memory now; the row may come back after a restart
                logger.error("cannot delete project {} from the job table: {}", project_id, error)

    def select(self, owner: str, before: int | None, limit: int) -> list[Project]:
        with self._lock:
            projects = list(self._projects.values())
        chosen = [p for p in reversed(projects) if p.owner == owner and (before is None or p.seq < before)]
        return chosen[:limit]

    def close(self) -> None:
        with self._lock:
            self._db.close()
