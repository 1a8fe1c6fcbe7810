"""The five work endpoints: check the body, queue a task, answer 202 (or 200 after `?wait=`)."""

from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from server.auth import Caller
from server.deps import TasksDep
from server.errors import ERROR_RESPONSES, ApiError
from server.routes.common import task_public
from server.schemas import (
    ClipsCreate,
    FramesCreate,
    NarrationCreate,
    RenderCreate,
    StoryboardCreate,
    TaskCreatedPublic,
    TaskPublic,
)
from server.task_errors import IdempotencyConflict, QueueFull, ShuttingDown

router = APIRouter(tags=["work"])
Wait = Annotated[float | None, Query(ge=0, le=600, description="hold the answer until the task ends, at most N s")]
IdempotencyKey = Annotated[
    str | None, Header(max_length=200, description="a retry with the same key returns the first task")
]
RESPONSES = {
    202: {"model": TaskCreatedPublic, "description": "queued; poll the Location"},
    200: {"model": TaskPublic, "description": "with ?wait=: the task as GET /tasks/<id> shows it"},
    **{status: spec for status, spec in ERROR_RESPONSES.items() if status != 404},
}


async def submit(jobs, kind: str, body, owner: str, wait: float | None, key: str | None) -> JSONResponse:
    try:
        task, created = await run_in_threadpool(jobs.submit, kind, owner, body, key)
    except QueueFull as full:
        raise ApiError(429, "the queue is full; retry later", headers={"Retry-After": str(full.retry_after)}) from None
    except IdempotencyConflict:
        raise ApiError(
            409, "this Idempotency-Key was used with a different body", code="idempotency_conflict"
        ) from None
    except ShuttingDown:
        raise ApiError(503, "the server is shutting down or its GPU worker stopped", code="not_accepting") from None
    headers = {"Location": f"/tasks/{task.task_id}"}
    if wait is None:
        return JSONResponse(
            # as it was queued: the worker may already have picked it up
            {"task_id": task.task_id, "kind": task.kind, "status": "pending" if created else task.status},
            status_code=202,
            headers=headers,
        )
    await jobs.wait(task.task_id, wait)
    return JSONResponse(task_public(task), status_code=200, headers=headers)


@router.post("/storyboard", status_code=202, response_model=TaskCreatedPublic, responses=RESPONSES)
async def create_storyboard(
    body: StoryboardCreate, owner: Caller, jobs: TasksDep, wait: Wait = None, idempotency_key: IdempotencyKey = None
):
    """Story text -> scenes with English image prompts, narration in the story's language, cast."""
    return await submit(jobs, "storyboard", body, owner, wait, idempotency_key)


@router.post("/frames", status_code=202, response_model=TaskCreatedPublic, responses=RESPONSES)
async def create_frames(
    body: FramesCreate, owner: Caller, jobs: TasksDep, wait: Wait = None, idempotency_key: IdempotencyKey = None
):
    """One keyframe per scene (SDXL-Turbo)."""
    return await submit(jobs, "frames", body, owner, wait, idempotency_key)


@router.post("/clips", status_code=202, response_model=TaskCreatedPublic, responses=RESPONSES)
async def create_clips(
    body: ClipsCreate, owner: Caller, jobs: TasksDep, wait: Wait = None, idempotency_key: IdempotencyKey = None
):
    """One clip per keyframe: image-to-video, pan/zoom or still, each exactly `duration` long."""
    return await submit(jobs, "clips", body, owner, wait, idempotency_key)


@router.post("/narration", status_code=202, response_model=TaskCreatedPublic, responses=RESPONSES)
async def create_narration(
    body: NarrationCreate, owner: Caller, jobs: TasksDep, wait: Wait = None, idempotency_key: IdempotencyKey = None
):
    """One audio file per line (Coqui TTS)."""
    return await submit(jobs, "narration", body, owner, wait, idempotency_key)


@router.post("/render", status_code=202, response_model=TaskCreatedPublic, responses=RESPONSES)
async def create_render(
    body: RenderCreate, owner: Caller, jobs: TasksDep, wait: Wait = None, idempotency_key: IdempotencyKey = None
):
    """Story -> storyboard -> frames -> narration -> clips -> composed mp4 with subtitles."""
    return await submit(jobs, "render", body, owner, wait, idempotency_key)
