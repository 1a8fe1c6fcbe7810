"""A project's shots: edit, insert, delete, move, regenerate, select a take; and rendering the project."""

from functools import partial

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from pipelines.render import UNTIL
from pipelines.specs import InvalidInput, blame
from server.access import FileAccess
from server.auth import Caller
from server.deps import AccessDep, TasksDep
from server.errors import ApiError
from server.etags import IfMatch
from server.jobs import Jobs
from server.project_requests import render_request
from server.project_schemas import (
    ProjectRenderCreate,
    ProjectShotCreate,
    ProjectShotUpdate,
    RegenerateCreate,
    ShotPublic,
)
from server.routes.common import refuse_nulls
from server.routes.projects import (
    FIELD_NAMES,
    RESPONSES,
    WORK_RESPONSES,
    editing,
    enqueue,
    owned_shot,
    shot_public,
    shot_view,
)
from server.schemas import TaskCreatedPublic
from studio import edits
from studio.project import Project, Shot

router = APIRouter(tags=["projects"])
# A regenerated keyframe runs through narration too: the new take gets the shot's audio (from the store).
REGENERATE_UNTIL = {"keyframe": "narration", "narration": "narration", "clip": "clips"}


def shot_changes(access: FileAccess, owner: str, body) -> dict:
    """The fields a request sets, under the shot's own names; own files checked to be the caller's."""
    changes = body.model_dump(exclude_unset=True, exclude={"after"})
    resolve = access.resolver(owner)
    for name, field in FIELD_NAMES.items():
        if name in changes:
            value = changes.pop(name)
            if value is not None:
                with blame(name):
                    (resolve.image if name == "keyframe" else resolve.audio)(value)
            changes[field] = value
    if "index" in changes and changes["index"] is None:
        raise InvalidInput("may not be null", "index")
    refuse_nulls({k: v for k, v in changes.items() if k != "index"}, Shot, FIELD_NAMES)
    return changes


def answer_shot(project: Project, shot, response: Response) -> dict:
    """The shot as the API shows it, with its ETag."""
    public = shot_public(shot, project.shots.index(shot))
    response.headers["ETag"] = public["etag"]
    return public


@router.patch("/projects/{project_id}/shots/{shot_id}", response_model=ShotPublic, responses=RESPONSES)
def update_shot(
    project_id: str,
    shot_id: str,
    body: ProjectShotUpdate,
    owner: Caller,
    jobs: TasksDep,
    access: AccessDep,
    response: Response,
    if_match: IfMatch = None,
):
    """Any editable field (`index` moves it); answers the shot with what is now `stale`."""
    with editing(jobs, project_id, owner, if_match=if_match, view=partial(shot_view, shot_id=shot_id)) as project:
        shot = owned_shot(project, shot_id)
        edits.patch_shot(project, shot, shot_changes(access, owner, body))
    return answer_shot(project, shot, response)


@router.post("/projects/{project_id}/shots", status_code=201, response_model=ShotPublic, responses=RESPONSES)
def insert_shot(
    project_id: str,
    body: ProjectShotCreate,
    owner: Caller,
    jobs: TasksDep,
    access: AccessDep,
    response: Response,
    if_match: IfMatch = None,
):
    """A new shot after `after` (first when absent); everything of it is stale until rendered.
    `If-Match`: the project's ETag."""
    with editing(jobs, project_id, owner, if_match=if_match) as project:
        shot = edits.insert_shot(project, body.after, shot_changes(access, owner, body))
    return answer_shot(project, shot, response)


@router.delete("/projects/{project_id}/shots/{shot_id}", status_code=204, responses=RESPONSES)
def delete_shot(project_id: str, shot_id: str, owner: Caller, jobs: TasksDep, if_match: IfMatch = None):
    with editing(jobs, project_id, owner, if_match=if_match, view=partial(shot_view, shot_id=shot_id)) as project:
        edits.delete_shot(project, owned_shot(project, shot_id))


@router.post(
    "/projects/{project_id}/shots/{shot_id}/takes/{take_id}/select", response_model=ShotPublic, responses=RESPONSES
)
def select_take(
    project_id: str,
    shot_id: str,
    take_id: str,
    owner: Caller,
    jobs: TasksDep,
    response: Response,
    if_match: IfMatch = None,
):
    """Bring an earlier take back at once: its fields and its files; no model runs."""
    with editing(jobs, project_id, owner, if_match=if_match, view=partial(shot_view, shot_id=shot_id)) as project:
        shot = owned_shot(project, shot_id)
        try:
            edits.select_take(project, shot, take_id)
        except LookupError:
            raise ApiError(404, "no such take") from None
    return answer_shot(project, shot, response)


def start_render(jobs: Jobs, owner: str, project: Project, until: str, only: list[str] | None) -> dict:
    """A render task over the project's shots, up to `until`, for every shot or for `only`."""
    # checked by the same `prepare` as /render; the job table marks the project busy
    return enqueue(jobs, owner, "render", render_request(project, until, only))


@router.post(
    "/projects/{project_id}/shots/{shot_id}/regenerate",
    status_code=202,
    response_model=TaskCreatedPublic,
    responses=WORK_RESPONSES,
)
def regenerate_shot(
    project_id: str, shot_id: str, body: RegenerateCreate, owner: Caller, jobs: TasksDep, if_match: IfMatch = None
):
    """A new take of the shot's keyframe, narration and/or clip (new seed unless given), selected."""
    view = partial(shot_view, shot_id=shot_id)
    with editing(jobs, project_id, owner, edits_only=False, if_match=if_match, view=view) as project:
        shot = owned_shot(project, shot_id)
        edited = shot.model_copy(deep=True)  # the shot changes only once the task is accepted
        edits.regenerate(edited, body.what, body.seed)
        position = project.shots.index(shot)
        project.shots[position] = edited
        until = max((REGENERATE_UNTIL[w] for w in body.what), key=UNTIL.index)
        try:
            created = start_render(jobs, owner, project, until, [shot.shot_id])
        except Exception:
            project.shots[position] = shot
            raise
    return JSONResponse(created, status_code=202, headers={"Location": f"/tasks/{created['task_id']}"})


@router.post(
    "/projects/{project_id}/render", status_code=202, response_model=TaskCreatedPublic, responses=WORK_RESPONSES
)
def render_project(project_id: str, body: ProjectRenderCreate, owner: Caller, jobs: TasksDep, if_match: IfMatch = None):
    """Make what is stale, up to `until`, then compose (for `video`): a new version in `renders`."""
    with editing(jobs, project_id, owner, edits_only=False, if_match=if_match) as project:
        if not project.shots:
            raise ApiError(409, "the project has no shots yet", code="no_shots")
        created = start_render(jobs, owner, project, body.until, None)
    return JSONResponse(created, status_code=202, headers={"Location": f"/tasks/{created['task_id']}"})
