"""The job table: tasks in memory for fast polling, written through to SQLite so they survive restarts.

A task that was running when the process stopped comes back pending and runs again: its stages
take what it had finished from the artifact store. One that was running at two restarts in a row
comes back as `error` with code `interrupted`, so a task that crashes the server cannot loop.
"""

import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field, fields
from pathlib import Path

from loguru import logger

from server.requests import TaskRequest, parse_request
from server.schemas import FINISHED

SAVE_INTERVAL = 0.5  # seconds between progress-only writes of one task


@dataclass
class Task:
    task_id: str
    kind: str
    owner: str
    request: TaskRequest
    seq: int = 0
    status: str = "pending"
    stage: str | None = None
    stages: list[dict] = field(default_factory=list)
    progress: float = 0.0
    result: dict | None = None
    error: dict | None = None
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    idempotency_key: str | None = None
    body_hash: str | None = None
    restarts: int = 0  # times a restart found it running

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


class TaskStore:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS tasks (task_id TEXT PRIMARY KEY, seq INTEGER, owner TEXT, data TEXT)"
        )
        self._tasks: dict[str, Task] = {}
        self.write_errors = 0
        self._saved_at: dict[str, float] = {}
        for task_id, data in self._db.execute("SELECT task_id, data FROM tasks ORDER BY seq"):
            try:
                row = json.loads(data)
                row["request"] = parse_request(row["kind"], json.dumps(row["request"]))
            except (ValueError, KeyError) as error:  # one damaged row must not keep the server from starting
                logger.error("task {} in the job table cannot be read, left out: {}", task_id, error)
                continue
            task = Task(**row)
            self._tasks[task.task_id] = task
        self._seq = max((t.seq for t in self._tasks.values()), default=0)

    def recover(self) -> list[Task]:
        """At start: running tasks run again (once); returns every pending task, to queue again."""
        with self._lock:
            for task in self._tasks.values():
                if task.status != "running":
                    continue
                if task.restarts >= 1:
                    task.status, task.finished_at = "error", time.time()
                    task.error = {
                        "code": "interrupted",
                        "message": "the server stopped twice while this task was running; submit it again",
                        "stage": task.stage,
                    }
                else:
                    task.restarts += 1
                    task.status, task.stage, task.progress = "pending", None, 0.0
                    for stage in task.stages:
                        stage.update(status="pending", progress=0.0)
                self.save(task)
            return [t for t in self._tasks.values() if t.status == "pending"]

    def add(self, task: Task) -> Task:
        with self._lock:
            self._seq += 1
            task.seq = self._seq
            self._tasks[task.task_id] = task
            self.save(task)
            return task

    def save(self, task: Task, *, throttle: bool = False) -> None:
        """Write a task through to SQLite; `throttle` skips writes closer than SAVE_INTERVAL apart."""
        now = time.monotonic()
        with self._lock:
            if task.task_id not in self._tasks:
                return  # deleted while a worker was still reporting on it
            if throttle and now - self._saved_at.get(task.task_id, 0.0) < SAVE_INTERVAL:
                return
            self._saved_at[task.task_id] = now
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO tasks (task_id, seq, owner, data) VALUES (?, ?, ?, ?)",
                    (task.task_id, task.seq, task.owner, self._serialise(task)),
                )
            except sqlite3.Error as error:  # a full or read-only disk: keep serving from memory
                self.write_errors += 1
                logger.error("cannot write task {} to the job table: {}", task.task_id, error)

    @staticmethod
    def _serialise(task: Task) -> str:
        data = {f.name: getattr(task, f.name) for f in fields(task)}
        data["request"] = task.request.model_dump(mode="json")
        return json.dumps(data, ensure_ascii=False)

    def select_all(self) -> list[Task]:
        with self._lock:
            return list(self._tasks.values())

    def get(self, task_id: str) -> Task | None:
        return self._tasks.get(task_id)

    def delete(self, task_id: str) -> None:
        with self._lock:
            self._tasks.pop(task_id, None)
            self._saved_at.pop(task_id, None)
            try:
                self._db.execute("DELETE FROM tasks WHERE task_id = ?", (task_id,))
            except sqlite3.Error as error:  # gone from memory now; the row may come back after a restart
                self.write_errors += 1
                logger.error("cannot delete task {} from the job table: {}", task_id, error)

    def by_idempotency_key(self, owner: str, key: str) -> Task | None:
        with self._lock:
            return next((t for t in self._tasks.values() if t.owner == owner and t.idempotency_key == key), None)

    def select(self, owner: str, status: str | None, kind: str | None, before: int | None, limit: int) -> list[Task]:
        """The owner's tasks, newest first, older than sequence number `before`."""
        with self._lock:
            tasks = list(self._tasks.values())
        chosen = []
        for task in reversed(tasks):
            if task.owner != owner or (before is not None and task.seq >= before):
                continue
            if (status and task.status != status) or (kind and task.kind != kind):
                continue
            chosen.append(task)
            if len(chosen) == limit:
                break
        return chosen

    def count(self, *statuses: str) -> int:
        with self._lock:
            return sum(1 for t in self._tasks.values() if t.status in statuses)

    def close(self) -> None:
        with self._lock:
            for task in self._tasks.values():
                if not task.finished:
                    self.save(task)
            self._db.close()
