"""What the routes share: the caller's task by id, and a task as the API shows it."""

from datetime import UTC, datetime

from fastapi import Request

from server.errors import ApiError
from server.jobs import Jobs
from server.store import Task


def jobs_of(request) -> Jobs:
    return request.app.state.jobs


def owned_task(request: Request, task_id: str, owner: str) -> Task:
    """The task if it exists and belongs to the caller; another key's task is a 404, like a missing one."""
    task = jobs_of(request).store.get(task_id)
    if task is None or task.owner != owner:
        raise ApiError(404, "no such task")
    return task


def iso(timestamp: float | None) -> str | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


def task_public(task: Task) -> dict:
    return {
        "task_id": task.task_id,
        "kind": task.kind,
        "status": task.status,
        "progress": task.progress,
        "stage": task.stage,
        "stages": [dict(stage) for stage in task.stages],
        "result": task.result,
        "error": task.error,
        "warnings": list(task.warnings),
        "created_at": iso(task.created_at),
        "started_at": iso(task.started_at),
        "finished_at": iso(task.finished_at),
        "timings": dict(task.timings),
    }
