"""Projects in memory, written through to the job table's SQLite file: a restart loses nothing."""

import json
import sqlite3
import threading
import time
from pathlib import Path

from loguru import logger

from studio.project import Project


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
