"""Projects: create from a story, topic or document; read, list, edit, delete; shots and takes; render."""

import asyncio
import contextlib
import shutil
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from pipelines.documents import MAX_TEXT_CHARS
from pipelines.specs import InvalidInput, blame
from pipelines.storyboard import MAX_STORY_CHARS
from server.auth import Caller
from server.deps import AccessDep, ProjectsDep, TasksDep, UploadsDep
from server.errors import ERROR_RESPONSES, ApiError
from server.etags import IfMatch, check_fresh, etag, tagged
from server.jobs import Jobs
from server.prepare import DEFAULT_STYLE, check_music, render_options
from server.project_schemas import (
    ProjectCreate,
    ProjectListPublic,
    ProjectPublic,
    ProjectUpdate,
)
from server.requests import ProjectPart, StoryboardRequest
from server.routes.common import iso
from server.task_errors import QueueFull, ShuttingDown
from studio import cast as cast_edits
from studio import edits
from studio.project import Project, new_project_id

router = APIRouter(tags=["projects"])
RESPONSES = {status: ERROR_RESPONSES[status] for status in (400, 401, 404, 409, 412)}
WORK_RESPONSES = {**RESPONSES, 429: ERROR_RESPONSES[429], 503: ERROR_RESPONSES[503]}
BUSY = ("pending", "running")
FIELD_NAMES = {"keyframe": "own_keyframe", "audio": "own_audio"}  # API name -> the shot's field


def shot_public(shot, index: int) -> dict:
    take = shot.take()
    return {
        **shot.model_dump(exclude={"takes", "own_keyframe", "own_audio", "clip_seed", "voice_variant", "bgm"}),
        "index": index,
        "keyframe": take.keyframe if take else None,
        "audio": take.audio if take else None,
        "clip": take.clip if take else None,
        "takes": [{**t.model_dump(), "created_at": iso(t.created_at)} for t in shot.takes],
        "etag": etag(shot.model_dump(mode="json")),
    }


def character_public(character) -> dict:
    return {**character.model_dump(), "etag": etag(character.model_dump(mode="json"))}


def project_public(project: Project) -> dict:
    data = project.model_dump(exclude={"owner", "seq", "shots", "renders", "characters"})
    return {
        **data,
        "characters": [character_public(c) for c in project.characters],
        "shots": [shot_public(shot, index) for index, shot in enumerate(project.shots)],
        "renders": [{**r.model_dump(), "created_at": iso(r.created_at)} for r in project.renders],
        "created_at": iso(project.created_at),
        "updated_at": iso(project.updated_at),
    }


def owned_project(jobs: Jobs, project_id: str, owner: str) -> Project:
    project = jobs.projects.get(project_id)
    if project is None or project.owner != owner:
        raise ApiError(404, "no such project")
    return project


def owned_shot(project: Project, shot_id: str):
    shot = project.shot(shot_id)
    if shot is None:
        raise ApiError(404, "no such shot")
    return shot


def check_idle(jobs: Jobs, project: Project, edits_only: bool = True) -> None:
    """Edits wait for the project's running task (pause or cancel it first); a new render or
    regenerate also waits for a paused one (resume or cancel it)."""
    task = jobs.store.get(project.task_id) if project.task_id else None
    busy = BUSY if edits_only else (*BUSY, "paused")
    if task is not None and task.kind == "storyboard" and project.status == "ready":
        return  # its shots and cast are in place: what is left of that task touches the project no more
    if task is not None and task.status in busy:
        what = "resume or cancel it" if task.status == "paused" else "pause or cancel it"
        raise ApiError(409, f"the project's task {task.task_id} is {task.status}; {what} first", code="project_busy")


def shot_view(project: Project, shot_id: str) -> dict:
    """What a shot's ETag covers: everything of it, its takes too, wherever it stands."""
    return owned_shot(project, shot_id).model_dump(mode="json")


@contextlib.contextmanager
def editing(
    jobs: Jobs,
    project_id: str,
    owner: str,
    edits_only: bool = True,
    if_match: str | None = None,
    view: Callable[[Project], dict] = lambda project: project_public(project),
) -> Iterator[Project]:
    """The caller's project, locked and idle, for one edit; refused with 412 when `view` of it is
    no longer what the caller's `If-Match` saw; saved when the edit succeeds."""
    project = owned_project(jobs, project_id, owner)
    with jobs.projects.lock:
        check_idle(jobs, project, edits_only)
        check_fresh(if_match, view(project))
        yield project
        jobs.projects.save(project)


def enqueue(jobs: Jobs, owner: str, kind: str, body) -> dict:
    try:
        task, _ = jobs.enqueue_request(kind, owner, body)
    except QueueFull as full:
        raise ApiError(429, "the queue is full; retry later", headers={"Retry-After": str(full.retry_after)}) from None
    except ShuttingDown:
        raise ApiError(503, "the server is shutting down or its GPU worker stopped", code="not_accepting") from None
    return {"task_id": task.task_id, "kind": task.kind, "status": "pending"}


def document_story(access: AccessDep, uploads: UploadsDep, owner: str, url: str) -> str:
    with blame("document"):
        path = access.resolver(owner)(url)
        if path.suffix != ".txt" or not path.is_relative_to(uploads.folder.resolve()):
            raise ValueError("must be an uploaded document (POST /uploads)")
        text = path.read_text(encoding="utf-8")[: MAX_TEXT_CHARS + 1]
    if len(text) > MAX_STORY_CHARS:
        raise InvalidInput(f"the document is longer than the {MAX_STORY_CHARS} characters a project holds", "document")
    return text


@router.post("/projects", status_code=201, response_model=ProjectPublic, responses=WORK_RESPONSES)
def create_project(
    body: ProjectCreate,
    owner: Caller,
    jobs: TasksDep,
    projects: ProjectsDep,
    access: AccessDep,
    uploads: UploadsDep,
):
    """A new project; its storyboard starts at once (`task_id`)."""
    given = [name for name in ("story", "topic", "document") if getattr(body, name) is not None]
    if len(given) != 1:
        raise InvalidInput("send exactly one of story, topic or document", given[1] if len(given) > 1 else "story")
    story = document_story(access, uploads, owner, body.document) if body.document else body.story
    if body.document and not story.strip():
        raise InvalidInput("the document has no text", "document")
    project = Project(
        project_id=new_project_id(),
        owner=owner,
        title=body.title or "",
        story=story or "",
        style=body.style or DEFAULT_STYLE,
        language=body.language,
        options=body.options.model_dump(mode="json"),
    )
    storyboard = StoryboardRequest(
        story=story,
        topic=body.topic,
        style=body.style,
        scenes=body.options.scene_count,
        language=body.language,
        project=ProjectPart(project_id=project.project_id),
    )
    check_music(body.options, access.resolver(owner))  # checked now: its renders will use them
    projects.add(project)
    try:
        enqueue(jobs, owner, "storyboard", storyboard)  # its prepare checks the story
    except Exception:
        projects.delete(project.project_id)
        raise
    headers = {"Location": f"/projects/{project.project_id}"}
    return JSONResponse(project_public(project), status_code=201, headers=headers)


@router.get("/projects", response_model=ProjectListPublic, responses=RESPONSES)
def list_projects(
    owner: Caller,
    jobs: TasksDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(pattern=r"^\d{0,18}$")] = None,
):
    """The caller's projects, newest first; `next_cursor` pages to older ones."""
    projects = jobs.projects.select(owner, int(cursor) if cursor else None, limit)
    next_cursor = str(projects[-1].seq) if len(projects) == limit else None
    return {"projects": [project_public(p) for p in projects], "next_cursor": next_cursor}


@router.get("/projects/{project_id}", response_model=ProjectPublic, responses=RESPONSES)
def get_project(project_id: str, owner: Caller, jobs: TasksDep, response: Response):
    return tagged(response, project_public(owned_project(jobs, project_id, owner)))


@router.patch("/projects/{project_id}", response_model=ProjectPublic, responses=RESPONSES)
def update_project(
    project_id: str,
    update: ProjectUpdate,
    owner: Caller,
    jobs: TasksDep,
    access: AccessDep,
    response: Response,
    if_match: IfMatch = None,
):
    """Title, style, options; new options stale what depends on them."""
    resolve = access.resolver(owner)
    with editing(jobs, project_id, owner, if_match=if_match) as project:
        if update.title is not None:
            project.title = update.title
        if update.style is not None:
            cast_edits.edit_cast(project, lambda: setattr(project, "style", update.style))  # restyles designs
        if update.options is not None:
            check_music(update.options, resolve)
            render_options(update.options, project.style, resolve)
            edits.change_options(project, update.options.model_dump(mode="json"))
    return tagged(response, project_public(project))


@router.delete("/projects/{project_id}", status_code=204, responses=RESPONSES)
async def delete_project(project_id: str, owner: Caller, jobs: TasksDep, if_match: IfMatch = None):
    """The project, its tasks and every file it made (its artifacts become evictable)."""
    project = owned_project(jobs, project_id, owner)
    check_fresh(if_match, project_public(project))
    jobs.projects.delete(project.project_id)
    for task in jobs.store.select_all():
        part = task.request.project
        if part is not None and part.project_id == project.project_id and task.owner == owner:
            await jobs.delete(task)
    await asyncio.to_thread(shutil.rmtree, jobs.settings.data_dir / project.project_id, True)
