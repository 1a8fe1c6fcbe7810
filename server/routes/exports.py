"""A project render handed to an editor (an export, built once and kept), and an editor's re-cut
brought back (an import: shot order and durations, nothing rendered)."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse

from pipelines.exports import SUFFIXES
from pipelines.otio_timeline import read_timeline
from pipelines.specs import InvalidInput, blame
from server.auth import Caller
from server.deps import AccessDep, TasksDep, UploadsDep
from server.errors import ApiError
from server.etags import IfMatch
from server.project_schemas import ExportFormat, TimelineImportCreate, TimelineImportPublic
from server.routes.projects import RESPONSES, editing, owned_project, project_public
from studio import exports, recut

router = APIRouter(tags=["projects"])
EXPORT_RESPONSES = {
    **RESPONSES,
    200: {"content": {"application/zip": {}}, "description": "the export: a zip (an .otioz is one too)"},
}


@router.get(
    "/projects/{project_id}/renders/{render_id}/export", response_class=FileResponse, responses=EXPORT_RESPONSES
)
def export_render(
    project_id: str,
    render_id: str,
    owner: Caller,
    jobs: TasksDep,
    format: Annotated[
        ExportFormat,
        Query(
            description="otioz (OpenTimelineIO bundle), fcp7xml (Premiere, Resolve), fcpxml (Final Cut Pro), "
            "edl (CMX 3600), jianying (a Jianying draft); the timecode formats (fcp7xml, fcpxml, edl) need a "
            "render at 24, 25, 30, 48, 50 or 60 fps"
        ),
    ],
):
    """The render as an editor's timeline with its media: built on the first request, kept after."""
    project = owned_project(jobs, project_id, owner)
    if not any(render.render_id == render_id for render in project.renders):
        raise ApiError(404, "no such render")
    try:
        path = exports.export_file(jobs.settings.data_dir, project, render_id, format)
    except exports.NoTimeline:
        message = "the render was made before renders kept their timeline; render the project again"
        raise ApiError(409, message, code="no_timeline") from None
    except ValueError as error:
        raise InvalidInput(str(error), "format") from None
    except FileNotFoundError:  # the project was deleted meanwhile
        raise ApiError(404, "no such render") from None
    name = f"{exports.export_name(project)}-{render_id}-{format}{SUFFIXES[format]}"
    return FileResponse(path, media_type="application/zip", filename=name)


@router.post("/projects/{project_id}/import", response_model=TimelineImportPublic, responses=RESPONSES)
def import_timeline(
    project_id: str,
    body: TimelineImportCreate,
    owner: Caller,
    jobs: TasksDep,
    access: AccessDep,
    uploads: UploadsDep,
    if_match: IfMatch = None,
):
    """An editor's re-cut of one of this project's renders: clip order becomes shot order, a trimmed
    clip's length its shot's `duration`; stales what a PATCH would; renders nothing."""
    owned_project(jobs, project_id, owner)
    with blame("timeline"):
        path = access.resolver(owner)(body.timeline)
        if path.suffix != ".otio" or not path.is_relative_to(uploads.folder.resolve()):
            raise ValueError("must be an uploaded timeline (POST /uploads an .otio or .otioz)")
        timeline = read_timeline(path.read_text(encoding="utf-8"))
    data_dir = jobs.settings.data_dir
    with editing(jobs, project_id, owner, if_match=if_match) as project:
        plan = recut.plan_recut(project, timeline, exports.manifests_of(data_dir, project))
        applied = recut.apply_recut(project, plan)
    return {"project": project_public(project), "applied": applied, "ignored": plan.ignored}
