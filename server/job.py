"""One running task as the stages see it: its typed request, folder, stage context (artifact store,
cancel token, progress and item hooks) and, for a project's task, the studio's `ProjectWork`.
Progress turns stage fractions into the task's progress, events and timings. A stage ends when the
next one starts, except one started beside the others (a render's narration beside its clips), which
ends when it says so: two stages may then run at once, each with its own events and timing."""

import json
import time
from pathlib import Path

from loguru import logger
from pydantic import BaseModel

from models.cancel import CancelToken
from pipelines.context import StageContext
from server.kinds import WEIGHTS
from server.prepare import render_options
from server.schemas import RenderOptionsCreate
from server.store import Task
from studio.files import url_of
from studio.project import Project
from studio.tasks import ProjectWork, shot_file, written

PROGRESS_INTERVAL = 0.25  # seconds between progress events of one task


class Job:
    def __init__(self, jobs, task: Task, cancel: CancelToken):  # jobs: the task lifecycle (server.jobs.Jobs)
        self.jobs, self.task, self.cancel = jobs, task, cancel
        self.request = task.request
        self.settings, self.registry = jobs.settings, jobs.registry
        self.task_dir = jobs.task_dir(task.task_id)
        self.resolve = jobs.access.resolver(task.owner)
        self.store = jobs.artifacts.for_owner(task.owner)
        self.work = self._project_work()
        self.ctx = StageContext(
            self.registry,
            self.settings,
            self.store,
            self.task_dir,
            cancel,
            self.report,
            self._told,
            self._written,
            self.run_beside,
        )
        self._running: dict[str, float] = {}  # each running stage and when it started
        self._beside_stages: set[str] = set()  # running stages the next one does not end
        self._published_at = 0.0

    def _project_work(self) -> ProjectWork | None:
        part = self.request.project
        if part is None:
            return None
        return ProjectWork(
            projects=self.jobs.projects,
            project_id=part.project_id,
            task_id=self.task.task_id,
            data_dir=self.settings.data_dir,
            store=self.store,
            resolve=self.resolve,
            publish=lambda event, data, shot_id: self.jobs.publish(self.task, event, data, shot_id),
            font_file=self.settings.font_file,
        )

    def _told(self, scene_id: str, what: str, path: Path) -> None:
        if self.work is not None:
            shot_file(self.work, scene_id, what, path)

    def _written(self, part, seed: int | None) -> None:
        if self.work is not None:
            written(self.work, part, seed)

    def project_options(self, project: Project):
        """A project's render options as its renders will have them."""
        options = RenderOptionsCreate.model_validate_json(json.dumps(project.options))
        return render_options(options, project.style, self.resolve)

    def start(self) -> None:
        self.task_dir.mkdir(parents=True, exist_ok=True)
        self.report(self.task.stages[0]["name"], 0.0)

    def progress(self, stage: str):
        return lambda fraction: self.report(stage, fraction)

    def url(self, path: Path) -> str:
        return url_of(path, self.settings.data_dir)

    def public(self, item: BaseModel, exclude: set[str] | None = None) -> dict:
        """A stage's output (Frame, Audio, Clip) as the API shows it: every file as its /data/ URL."""
        fields = item.model_dump(exclude=exclude)
        return {name: self.url(value) if isinstance(value, Path) else value for name, value in fields.items()}

    def report(self, stage: str, fraction: float) -> None:
        task = self.task
        with self.jobs.lock:
            started = stage not in self._running
            if started:
                for other in [s for s in self._running if s not in self._beside_stages]:
                    self._end(other)
                task.stage = stage  # the stage started last
                self._running[stage] = time.perf_counter()
                self._entry(stage).update(status="running")
                self.jobs.publish(task, "stage", {"stage": stage, "status": "running"})
            self._entry(stage)["progress"] = round(min(max(fraction, 0.0), 1.0), 4)
            weights = WEIGHTS.get(task.kind) or {s["name"]: 1.0 for s in task.stages}
            task.progress = round(
                sum(weights[s["name"]] * s["progress"] for s in task.stages) / sum(weights.values()), 4
            )
        now = time.monotonic()  # one throttle for the task (two stages may report): each event has its whole progress
        if now - self._published_at >= PROGRESS_INTERVAL or fraction >= 1.0:
            self._published_at = now
            self.jobs.publish(task, "progress", {"progress": task.progress, "stage": stage, "stage_progress": fraction})
        self.jobs.store.save(task, throttle=not started)  # a new stage is written at once

    def run_beside(self, stage: str, running: bool) -> None:
        """`stage` runs beside the stages after it (True), or it is done (False)."""
        with self.jobs.lock:
            if running:
                self._beside_stages.add(stage)
            else:
                self._beside_stages.discard(stage)
                if stage in self._running:
                    self._end(stage)
                    self.jobs.store.save(self.task)

    def close_stage(self, finished: bool = True) -> None:
        """The task ends: every stage still running is done; or it pauses (`finished=False`): their
        time is counted and they keep their progress, to be marked paused. The caller holds the lock."""
        for stage in list(self._running):
            self._end(stage, finished)

    def _end(self, stage: str, finished: bool = True) -> None:
        task = self.task
        seconds = round(time.perf_counter() - self._running.pop(stage), 3)
        task.timings[stage] = round(task.timings.get(stage, 0.0) + seconds, 3)
        if finished:
            self._entry(stage).update(status="done", progress=1.0)
            self.jobs.publish(task, "stage", {"stage": stage, "status": "done", "seconds": seconds})
            logger.info("task {} {} stage {} done in {:.2f}s", task.task_id, task.kind, stage, seconds)

    def _entry(self, stage: str) -> dict:
        return next(s for s in self.task.stages if s["name"] == stage)
