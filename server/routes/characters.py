"""A project's cast: list, add, edit, delete characters, and draw a character's design again."""

from functools import partial
from urllib.parse import quote

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from pipelines.cast import MAX_CHARACTERS
from pipelines.specs import InvalidInput, blame
from server.access import FileAccess
from server.auth import Caller
from server.deps import AccessDep, TasksDep
from server.errors import ApiError
from server.etags import IfMatch
from server.project_schemas import CharacterRegenerateCreate
from server.routes.common import refuse_nulls
from server.routes.projects import RESPONSES, WORK_RESPONSES, character_public, editing, owned_project
from server.routes.shots import start_render
from server.schemas import (
    CharacterCreate,
    CharacterListPublic,
    CharacterPublic,
    CharacterUpdate,
    TaskCreatedPublic,
)
from studio import cast as cast_edits
from studio.project import Project, ProjectCharacter

router = APIRouter(tags=["characters"])
PATH = "/projects/{project_id}/characters"


def character_view(project: Project, name: str) -> dict:
    """What a character's ETag covers: everything of it."""
    return owned_character(project, name).model_dump(mode="json")


def owned_character(project: Project, name: str):
    character = project.character(name)
    if character is None:
        raise ApiError(404, "no such character")
    return character


def checked_fields(access: FileAccess, owner: str, body) -> dict:
    """The fields a request sets; its files checked to be the caller's picture and speech clip, its
    voice one the speech engine has (or, for an engine that clones voices, a clip)."""
    fields = body.model_dump(exclude_unset=True)
    resolve = access.resolver(owner)
    if fields.get("reference"):
        with blame("reference"):
            resolve.image(fields["reference"])
    if fields.get("voice"):
        with blame("voice"):
            resolve.voice(fields["voice"])
    refuse_nulls(fields, ProjectCharacter)
    return fields


@router.get(PATH, response_model=CharacterListPublic, responses=RESPONSES)
def list_characters(project_id: str, owner: Caller, jobs: TasksDep):
    return {"characters": [character_public(c) for c in owned_project(jobs, project_id, owner).characters]}


@router.post(PATH, status_code=201, response_model=CharacterPublic, responses=RESPONSES)
def add_character(project_id: str, body: CharacterCreate, owner: Caller, jobs: TasksDep, access: AccessDep):
    """A new character; shots that already name it are conditioned on it from their next render."""
    fields = checked_fields(access, owner, body)
    with editing(jobs, project_id, owner) as project:
        if len(project.characters) >= MAX_CHARACTERS:
            raise InvalidInput(f"a cast has at most {MAX_CHARACTERS} characters", "name")
        try:
            character = cast_edits.add_character(project, fields)
        except KeyError:
            raise ApiError(409, "a character of that name exists", code="character_exists") from None
    headers = {"Location": f"/projects/{project_id}/characters/{quote(character.name, safe='')}"}
    public = character_public(character)
    return JSONResponse(public, status_code=201, headers={**headers, "ETag": public["etag"]})


@router.patch(PATH + "/{name}", response_model=CharacterPublic, responses=RESPONSES)
def update_character(
    project_id: str,
    name: str,
    body: CharacterUpdate,
    owner: Caller,
    jobs: TasksDep,
    access: AccessDep,
    response: Response,
    if_match: IfMatch = None,
):
    """Any field; the shots it changes become stale (identity: keyframe and clip; voice: narration)."""
    fields = checked_fields(access, owner, body)
    with editing(jobs, project_id, owner, if_match=if_match, view=partial(character_view, name=name)) as project:
        character = owned_character(project, name)
        cast_edits.patch_character(project, character, fields)
    public = character_public(character)
    response.headers["ETag"] = public["etag"]
    return public


@router.delete(PATH + "/{name}", status_code=204, responses=RESPONSES)
def delete_character(project_id: str, name: str, owner: Caller, jobs: TasksDep, if_match: IfMatch = None):
    """Gone from the cast and from its shots; its quotes go back to the narrator."""
    with editing(jobs, project_id, owner, if_match=if_match, view=partial(character_view, name=name)) as project:
        cast_edits.delete_character(project, owned_character(project, name))


@router.post(PATH + "/{name}/regenerate", status_code=202, response_model=TaskCreatedPublic, responses=WORK_RESPONSES)
def regenerate_design(
    project_id: str,
    name: str,
    body: CharacterRegenerateCreate,
    owner: Caller,
    jobs: TasksDep,
    if_match: IfMatch = None,
):
    """Draw the character's design portrait again (a new seed unless given): a task; shots it is the
    identity of become stale."""
    view = partial(character_view, name=name)
    with editing(jobs, project_id, owner, edits_only=False, if_match=if_match, view=view) as project:
        character = owned_character(project, name)
        if not project.shots:
            raise ApiError(409, "the project has no storyboard yet", code="no_shots")
        before = project.model_copy(deep=True)  # the project changes only once the task is accepted
        cast_edits.redesign(project, character, body.seed)
        try:
            created = start_render(jobs, owner, project, "cast", [])
        except Exception:
            project.characters, project.shots = before.characters, before.shots
            raise
    return JSONResponse(created, status_code=202, headers={"Location": f"/tasks/{created['task_id']}"})
