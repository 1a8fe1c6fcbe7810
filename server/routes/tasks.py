"""Tasks: read, list, cancel, delete, and their events (SSE per task, WebSocket for all of a caller's)."""

import asyncio
import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, StreamingResponse

from server.auth import Caller, key_subprotocol, websocket_caller
from server.deps import TasksDep, services
from server.errors import ERROR_RESPONSES, ApiError
from server.events import FINAL_EVENTS, Event
from server.kinds import KINDS
from server.project_requests import render_request
from server.routes.common import owned_task, task_public
from server.schemas import STATUSES, TaskListPublic, TaskPublic
from server.store import Task
from server.task_errors import QueueFull

router = APIRouter(tags=["tasks"])
KEEPALIVE = 15.0  # seconds between SSE comments, so proxies keep an idle stream open
RESPONSES = {status: ERROR_RESPONSES[status] for status in (400, 401, 404)}


@router.get("/tasks", response_model=TaskListPublic, responses=RESPONSES)
async def list_tasks(
    owner: Caller,
    jobs: TasksDep,
    # An empty value means no filter, as `?status=&kind=&limit=&cursor=` from a URL template sends it.
    status: Literal[(*STATUSES, "")] | None = None,
    kind: Literal[(*KINDS, "")] | None = None,
    limit: Annotated[str | None, Query(pattern=r"^\d{0,3}$", description="1..200, default 50")] = None,
    cursor: Annotated[str | None, Query(pattern=r"^\d{0,18}$")] = None,
):
    """The caller's tasks, newest first; `next_cursor` pages to older ones."""
    count = int(limit) if limit else 50
    if not 1 <= count <= 200:
        raise ApiError(400, "limit must be between 1 and 200", field="limit")
    tasks = jobs.store.select(owner, status or None, kind or None, int(cursor) if cursor else None, count)
    next_cursor = str(tasks[-1].seq) if len(tasks) == count else None
    return {"tasks": [task_public(t) for t in tasks], "next_cursor": next_cursor}


@router.get("/tasks/{task_id}", response_model=TaskPublic, responses=RESPONSES)
async def get_task(task_id: str, owner: Caller, jobs: TasksDep):
    """The poll endpoint: answered straight from memory, serialised once (the schema is for the docs)."""
    return JSONResponse(task_public(owned_task(jobs, task_id, owner)))


@router.post("/tasks/{task_id}/cancel", response_model=TaskPublic, responses={**RESPONSES, 409: ERROR_RESPONSES[409]})
def cancel_task(task_id: str, owner: Caller, jobs: TasksDep):
    """A pending task never runs; a running one stops within one denoising step or ffmpeg poll."""
    task = owned_task(jobs, task_id, owner)
    if not jobs.cancel(task):
        raise ApiError(409, f"the task is already {task.status}", code="task_finished")
    return task_public(task)


@router.post("/tasks/{task_id}/pause", response_model=TaskPublic, responses={**RESPONSES, 409: ERROR_RESPONSES[409]})
def pause_task(task_id: str, owner: Caller, jobs: TasksDep):
    """A running task stops at its next shot boundary and keeps what it made (`paused`); a pending one
    waits. A paused task holds no GPU and does not count against the queue limit."""
    task = owned_task(jobs, task_id, owner)
    if not jobs.pause(task):
        raise ApiError(409, f"a {task.status} task cannot be paused", code="not_pausable")
    return task_public(task)


@router.post(
    "/tasks/{task_id}/resume",
    response_model=TaskPublic,
    responses={**RESPONSES, 409: ERROR_RESPONSES[409], 429: ERROR_RESPONSES[429]},
)
def resume_task(task_id: str, owner: Caller, jobs: TasksDep):
    """A paused task carries on from what it had made; a project's render takes the shots as they
    are now, so edits made while it was paused are rendered too."""
    task = owned_task(jobs, task_id, owner)
    if task.status != "paused":
        raise ApiError(409, f"the task is {task.status}, not paused", code="not_paused")
    part = task.request.project
    project = jobs.projects.get(part.project_id) if part else None
    if project is not None and project.task_id != task.task_id:
        raise ApiError(409, "the project has moved on to another task since this one paused", code="not_paused")
    if task.kind == "render" and project is not None and project.shots:
        with jobs.projects.lock:  # edits made while it was paused are rendered too
            task.request = jobs.prepare(task, render_request(project, part.until, part.only))
    try:
        jobs.resume(task)
    except QueueFull as full:
        raise ApiError(429, "the queue is full; retry later", headers={"Retry-After": str(full.retry_after)}) from None
    return task_public(task)


@router.delete("/tasks/{task_id}", status_code=204, responses=RESPONSES)
async def delete_task(task_id: str, owner: Caller, jobs: TasksDep):
    """Cancel the task if needed, then remove it and every file it made."""
    await jobs.delete(owned_task(jobs, task_id, owner))


def final_event(task: Task) -> Event:
    """What a finished task's stream ends with when its history is gone (the server restarted)."""
    data = {"status": task.status, "error": task.error}
    return Event(0, task.task_id, task.owner, "done" if task.status == "done" else "error", data)


def sse(event: Event) -> str:
    return f"id: {event.id}\nevent: {event.event}\ndata: {json.dumps(event.public(), ensure_ascii=False)}\n\n"


@router.get(
    "/tasks/{task_id}/events",
    responses={**RESPONSES, 200: {"content": {"text/event-stream": {}}, "description": "SSE"}},
    response_class=StreamingResponse,
)
async def task_events(task_id: str, owner: Caller, jobs: TasksDep):
    """Server-Sent Events (`stage`, `progress`, `done`, `error`), the task's past events first."""
    task = owned_task(jobs, task_id, owner)

    async def stream():
        with jobs.bus.subscribe(lambda e: e.task_id == task_id, replay_task=task_id) as events:
            if task.finished and not any(e.event in FINAL_EVENTS for e in events.pending):
                yield sse(final_event(task))
                return
            while not events.closed:
                event = await events.get(KEEPALIVE)
                if event is None:
                    yield ": keepalive\n\n"
                    continue
                yield sse(event)
                if event.event in FINAL_EVENTS:
                    return

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


@router.websocket("/ws")
async def all_events(websocket: WebSocket):
    """Every event of the caller's tasks from now on, one JSON message each. The key: a header, a
    `s2v.key.<base64url key>` subprotocol (what the studio page sends), or ?api_key=."""
    owner = websocket_caller(websocket)
    await websocket.accept(subprotocol=key_subprotocol(websocket))
    jobs = services(websocket).jobs
    receiver = asyncio.ensure_future(websocket.receive())  # completes when the client goes away
    try:
        with jobs.bus.subscribe(lambda e: e.owner == owner) as events:
            while not events.closed:
                step = asyncio.ensure_future(events.get())
                done, _ = await asyncio.wait({step, receiver}, return_when=asyncio.FIRST_COMPLETED)
                if step in done:
                    if (event := step.result()) is not None:
                        await websocket.send_json(event.public())
                else:
                    step.cancel()  # cancelling a queue read loses nothing
                if receiver in done:
                    if receiver.result()["type"] == "websocket.disconnect":
                        return
                    receiver = asyncio.ensure_future(websocket.receive())  # a client's ping: ignored
    except WebSocketDisconnect:
        return
    finally:
        receiver.cancel()
