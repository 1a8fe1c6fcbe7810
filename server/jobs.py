"""The job table's behaviour: submit, run, report, cancel, delete, wait.

The GPU worker thread runs each task's model stages in order; a task's ffmpeg part (composition,
pan/zoom clips) goes to a small pool, so composing one task overlaps generating the next. Routes
only call `submit`, `cancel`, `delete` and `wait`; nothing here blocks the event loop.
"""

import asyncio
import hashlib
import json
import secrets
import shutil
import threading
import time
from collections import deque
from pathlib import Path

from loguru import logger

from models.cancel import CancelToken
from models.errors import Cancelled, Paused
from pipelines.artifact_store import ArtifactStore
from server.access import FileAccess
from server.events import FINAL_EVENTS, EventBus
from server.housekeeping import Housekeeping
from server.job import Job
from server.kinds import KINDS
from server.prepare import DEFAULT_STYLE
from server.requests import ProjectPart, TaskRequest, request_of
from server.store import Task, TaskStore
from server.task_errors import IdempotencyConflict, QueueFull, ShuttingDown, TaskErrors
from server.worker import Worker
from studio.lifecycle import ProjectLifecycle
from studio.project import Project, new_project_id
from studio.store import ProjectStore


class Jobs:
    """The task lifecycle: pending -> running -> paused | done | error | cancelled, with events. A
    project's status follows its task through `ProjectLifecycle`."""

    def __init__(
        self,
        settings,
        registry,
        store: TaskStore,
        projects: ProjectStore,
        artifacts: ArtifactStore,
        access: FileAccess,
    ):
        self.settings, self.registry = settings, registry
        self.store, self.projects, self.artifacts, self.access = store, projects, artifacts, access
        self.lifecycle = ProjectLifecycle(projects)
        self.errors = TaskErrors(settings.data_dir, settings.weights_dir)
        self.housekeeping = Housekeeping(artifacts, int(settings.cache_max_gb * 2**30))
        self.lock = threading.RLock()
        self.bus = EventBus()
        self.worker = Worker(settings, registry, self._start_task, self.errors.describe, self._on_worker_death)
        self.accepting = True  # new tasks are taken
        self.stopping = False  # shutting down: queued tasks stay pending for the next start
        self.interrupting = False
        self._tokens: dict[str, CancelToken] = {}
        self._durations: deque[float] = deque(maxlen=20)

    # --- lifecycle

    def start(self) -> None:
        for task in self.store.recover():
            logger.info("task {} {} queued again after a restart", task.task_id, task.kind)
            self._enqueue(task)
        self.worker.start()

    def shutdown(self, grace: float) -> None:
        """Stop taking work; let running tasks finish within `grace`, then interrupt them."""
        self.accepting = False
        self.stopping = True
        deadline = time.monotonic() + grace
        while self.store.count("running") and time.monotonic() < deadline:
            time.sleep(0.1)
        with self.lock:
            self.interrupting = True
            running = [t for t in list(self._tokens) if (task := self.store.get(t)) and task.status == "running"]
            for task_id in running:
                self._tokens[task_id].cancel()
        self.worker.stop(timeout=10.0)

    # --- the API the routes use

    def task_dir(self, task_id: str) -> Path:
        return self.settings.data_dir / task_id

    def new_task_id(self, kind: str) -> str:
        return f"{kind[:2]}_{secrets.token_hex(8)}"

    def submit(self, kind: str, owner: str, body, idempotency_key: str | None) -> tuple[Task, bool]:
        """Check, store and queue a task; returns it and whether it is new (False: an idempotent retry)."""
        if not self.accepting or not self.worker.alive:
            raise ShuttingDown()
        body_hash = hashlib.sha256(
            json.dumps([kind, body.model_dump(mode="json")], sort_keys=True).encode()
        ).hexdigest()
        earlier = self._admit(owner, idempotency_key, body_hash)
        if earlier is not None:
            return earlier, False
        task_id = self.new_task_id(kind)
        request = request_of(kind, body)
        if kind == "render":  # every render is a project too, so it can be opened and edited afterwards
            request.project = ProjectPart(project_id=new_project_id())
        return self.enqueue_request(kind, owner, request, task_id, idempotency_key, body_hash)

    def enqueue_request(
        self,
        kind: str,
        owner: str,
        request: TaskRequest,
        task_id: str | None = None,
        idempotency_key: str | None = None,
        body_hash: str | None = None,
    ) -> tuple[Task, bool]:
        """Check (the kind's `prepare`), store and queue a request; a project's own tasks come here
        directly. A refused request leaves nothing behind."""
        task_id = task_id or self.new_task_id(kind)
        task_dir = self.task_dir(task_id)
        try:
            request = KINDS[kind].prepare(request, self.settings, task_dir, self.access.resolver(owner))
        except Exception:
            shutil.rmtree(task_dir, ignore_errors=True)
            raise
        task = Task(
            task_id=task_id,
            kind=kind,
            owner=owner,
            request=request,
            stages=[{"name": name, "status": "pending", "progress": 0.0} for name in KINDS[kind].stages],
            idempotency_key=idempotency_key,
            body_hash=body_hash,
        )
        with self.lock:  # checked again: another request may have taken the key or the last slot meanwhile
            if not self.accepting or not self.worker.alive:
                shutil.rmtree(task_dir, ignore_errors=True)
                raise ShuttingDown()
            try:
                earlier = self._admit(owner, idempotency_key, body_hash)
            except (IdempotencyConflict, QueueFull):
                shutil.rmtree(task_dir, ignore_errors=True)
                raise
            if earlier is not None:
                shutil.rmtree(task_dir, ignore_errors=True)
                return earlier, False
            self.store.add(task)
            if (part := request.project) is not None:
                self.lifecycle.queued(part.project_id, task_id, kind, lambda: self._fresh_project(task))
        logger.info("task {} {} pending", task_id, kind)
        self._enqueue(task)
        return task, True

    def prepare(self, task: Task, request: TaskRequest) -> TaskRequest:
        """A new request for a paused task (a project's edits made meanwhile), checked as at acceptance."""
        return KINDS[task.kind].prepare(
            request, self.settings, self.task_dir(task.task_id), self.access.resolver(task.owner)
        )

    def _fresh_project(self, task: Task) -> Project:
        """A one-shot render's project, made when its task is queued."""
        request = task.request
        return Project(
            project_id=request.project.project_id,
            owner=task.owner,
            story=request.story or "",
            style=request.style or DEFAULT_STYLE,
            options=request.options.model_dump(mode="json"),
        )

    def _admit(self, owner: str, key: str | None, body_hash: str) -> Task | None:
        """The task an idempotent retry gets back, else None if there is room for a new one."""
        if key:
            earlier = self.store.by_idempotency_key(owner, key)
            if earlier is not None:
                if earlier.body_hash != body_hash:
                    raise IdempotencyConflict()
                return earlier
        if self.store.count("pending", "running") >= self.settings.max_queue:
            raise QueueFull(self.retry_after())
        return None

    def cancel(self, task: Task) -> bool:
        """False when the task had already finished."""
        with self.lock:
            if task.finished:
                return False
            token = self._tokens.get(task.task_id)
            if token:
                token.cancel()
            if task.status in ("pending", "paused"):  # never runs (again): the worker skips it
                error = {"code": "cancelled", "message": "cancelled before it ran", "stage": None}
                self._finish(task, "cancelled", error=error)
            return True

    def pause(self, task: Task) -> bool:
        """A pending task waits; a running one stops at its next shot boundary. False: nothing to pause."""
        with self.lock:
            if task.status == "pending":
                self._paused(task)
                return True
            token = self._tokens.get(task.task_id)
            if task.status != "running" or token is None:
                return False
            token.pause()
            return True

    def resume(self, task: Task) -> bool:
        """A paused task queues again and carries on from what it had made. False: it is not paused."""
        with self.lock:
            if task.status != "paused":
                return False
            if self.store.count("pending", "running") >= self.settings.max_queue:
                raise QueueFull(self.retry_after())
            task.status = "pending"
            self.store.save(task)
            self.publish(task, "stage", {"stage": task.stage, "status": "pending"})
            self._project_changed(task, "rendering")
        self._enqueue(task)
        return True

    def _paused(self, task: Task) -> None:
        task.status = "paused"
        running = [stage for stage in task.stages if stage["status"] == "running"]
        for stage in running:
            stage["status"] = "paused"
        self.store.save(task)
        self._tokens.pop(task.task_id, None)
        for name in [stage["name"] for stage in running] or [task.stage]:  # a pending task: its stage as it was
            self.publish(task, "stage", {"stage": name, "status": "paused"})
        self._project_changed(task, "paused")
        logger.info("task {} {} paused", task.task_id, task.kind)

    def _project_changed(self, task: Task, status: str) -> None:
        if (part := task.request.project) is not None:
            self.lifecycle.changed(part.project_id, task.task_id, status)

    async def delete(self, task: Task) -> None:
        if not task.finished:
            self.cancel(task)
            await self.wait(task.task_id, 60)
        with self.lock:
            self.store.delete(task.task_id)
            self.bus.forget(task.task_id)
            self._tokens.pop(task.task_id, None)
        await asyncio.to_thread(shutil.rmtree, self.task_dir(task.task_id), True)

    async def wait(self, task_id: str, seconds: float) -> None:
        """Until the task ends or `seconds` pass."""
        task = self.store.get(task_id)
        if task is None or task.finished or seconds <= 0:
            return

        deadline = time.monotonic() + seconds
        with self.bus.subscribe(lambda e: e.task_id == task_id, replay_task=task_id) as events:
            while (left := deadline - time.monotonic()) > 0 and not events.closed:
                event = await events.get(left)
                if event is None or event.event in FINAL_EVENTS:
                    return

    def retry_after(self) -> int:
        """Seconds until a queue slot is likely free, from recent task durations."""
        typical = sum(self._durations) / len(self._durations) if self._durations else 5.0
        return int(min(600, max(1, round(typical))))

    def publish(self, task: Task, event: str, data: dict, shot_id: str | None = None) -> None:
        if self.store.get(task.task_id) is None:
            return  # deleted: its history must not grow back
        project_id = task.request.project.project_id if task.request.project else None
        self.bus.publish(task.task_id, task.owner, event, {"status": task.status, **data}, project_id, shot_id)

    # --- running

    def _enqueue(self, task: Task) -> None:
        self._tokens[task.task_id] = CancelToken()
        if KINDS[task.kind].plan(task.request).gpu is None:
            self.worker.pool.submit(self._start_task, task.task_id)
        else:
            self.worker.queue.put(task.task_id)

    def _begin(self, task_id: str) -> Job | None:
        with self.lock:
            task = self.store.get(task_id)
            if task is None or task.status != "pending" or self.stopping:
                return None  # cancelled or deleted while it waited, or the server is stopping: it stays pending
            task.status, task.started_at = "running", time.time()
            self.store.save(task)
            logger.info(
                "task {} {} running after {:.2f}s in the queue", task_id, task.kind, time.time() - task.created_at
            )
            return Job(self, task, self._tokens.setdefault(task_id, CancelToken()))

    def _start_task(self, task_id: str) -> None:
        """Run a task from its start, on the thread that took it up: the GPU worker or the pool."""
        job = self._begin(task_id)
        if job is None:
            return
        try:
            job.start()
            plan = KINDS[job.task.kind].plan(job.request)
            if plan.gpu is None:
                self._succeed(job, plan.ffmpeg(job, None))
            elif plan.ffmpeg is None:
                self._succeed(job, plan.gpu(job))
            else:  # the model part is done; composing goes to the pool, the GPU to the next task
                self.worker.pool.submit(self._run_ffmpeg_part, job, plan.ffmpeg, plan.gpu(job))
        except BaseException as error:  # every failure ends the task, never the thread
            self._fail(job, error)
        finally:
            self.housekeeping.after_task()

    def _run_ffmpeg_part(self, job: Job, step, state) -> None:
        try:
            self._succeed(job, step(job, state))
        except BaseException as error:
            self._fail(job, error)
        finally:
            self.housekeeping.after_task()

    def _on_worker_death(self, running: str | None) -> None:
        """The GPU worker is gone: nothing it held or would have run may wait forever."""
        self.accepting = False
        with self.lock:
            waiting = [t for t in self.store.select_all() if t.status == "pending" or t.task_id == running]
            for task in waiting:
                if KINDS[task.kind].plan(task.request).gpu is not None:
                    message = "the GPU worker stopped; the server needs a restart"
                    self._finish(
                        task, "error", error={"code": "worker_stopped", "message": message, "stage": task.stage}
                    )

    def _succeed(self, job: Job, outcome: tuple[dict, list[str]]) -> None:
        result, warnings = outcome
        with self.lock:
            job.close_stage()
            job.task.warnings = list(warnings)
            self._finish(job.task, "done", result=result)

    def _fail(self, job: Job, error: BaseException) -> None:
        task = job.task
        try:  # a stopped stage leaves no half-written file behind
            for part in list(job.task_dir.rglob(".*.part*")):
                part.unlink(missing_ok=True)
        except OSError as cleanup:  # the folder may be going away under a DELETE
            logger.warning("task {}: partial files not removed: {}", task.task_id, cleanup)
        if self.interrupting and isinstance(error, Cancelled | RuntimeError):  # RuntimeError: the pool is shut
            logger.info("task {} stopped by the shutdown; the next start resumes it", task.task_id)
            return
        if isinstance(error, Paused):
            with self.lock:
                job.close_stage(finished=False)
                self._paused(task)
            return
        if isinstance(error, Cancelled):
            status, code, message = "cancelled", "cancelled", "cancelled while running"
        else:
            status, code, message = "error", *self.errors.describe(error)
            if code == "internal_error":
                logger.opt(exception=error).error("task {} failed", task.task_id)
        stage = getattr(error, "stage", None) or task.stage  # a stage beside the last started names itself
        with self.lock:
            self._finish(task, status, error={"code": code, "message": message, "stage": stage})

    def _finish(self, task: Task, status: str, *, result: dict | None = None, error: dict | None = None) -> None:
        if task.finished:
            return
        task.result, task.error, task.finished_at = result, error, time.time()
        for stage in task.stages:
            if stage["status"] == "running":
                stage["status"] = "done" if status == "done" else status
        if status == "done":
            task.progress = 1.0
        task.status = status  # last: a poller that sees the status also sees the result
        seconds = task.finished_at - (task.started_at or task.created_at)
        if task.started_at:
            self._durations.append(seconds)
        self.store.save(task)
        self._tokens.pop(task.task_id, None)
        if self.store.get(task.task_id) is None:  # deleted while it ran: its files go too
            threading.Thread(target=shutil.rmtree, args=(self.task_dir(task.task_id), True), daemon=True).start()
        self.publish(task, "done" if status == "done" else "error", {"error": error})
        if status != "done" and (part := task.request.project) is not None:  # a done task updated its project
            self.lifecycle.ended(part.project_id, task.task_id, status, error)
        logger.info(
            "task {} {} {} in {:.2f}s{}",
            task.task_id,
            task.kind,
            status,
            seconds,
            f" ({error['code']})" if error else "",
        )
