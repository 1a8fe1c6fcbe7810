"""What the routes share: the caller's task by id, and a task as the API shows it."""

import types
import typing
from datetime import UTC, datetime

from pydantic import BaseModel

from pipelines.specs import InvalidInput
from server.errors import ApiError
from server.jobs import Jobs
from server.store import Task


def owned_task(jobs: Jobs, task_id: str, owner: str) -> Task:
    """The task if it exists and belongs to the caller; another key's task is a 404, like a missing one."""
    task = jobs.store.get(task_id)
    if task is None or task.owner != owner:
        raise ApiError(404, "no such task")
    return task


def refuse_nulls(changes: dict, model: type[BaseModel], api_names: dict[str, str] | None = None) -> None:
    """A PATCH's `null` is only for the fields the stored `model` lets be empty (say, a shot's own
    keyframe); for any other it is a 400 naming the field as the caller sent it."""
    named = {stored: sent for sent, stored in (api_names or {}).items()}
    for name, value in changes.items():
        annotation = model.model_fields[name].annotation
        nullable = type(None) in typing.get_args(annotation) or annotation is types.NoneType
        if value is None and not nullable:
            raise InvalidInput("may not be null", named.get(name, name))


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
