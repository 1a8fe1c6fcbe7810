"""Produced files: `/data/<task>/...` with HTTP Range, and a task's archive as a zip."""

import tempfile
import zipfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from server import paths
from server.auth import caller
from server.errors import ERROR_RESPONSES, ApiError
from server.routes.common import jobs_of, owned_task

router = APIRouter(tags=["files"])
Caller = Annotated[str, Depends(caller)]
RESPONSES = {status: ERROR_RESPONSES[status] for status in (401, 404)}


def produced(task_dir: Path) -> list[Path]:
    """A task's own files: no hidden partials, no reuse keys."""
    return sorted(
        p
        for p in task_dir.rglob("*")
        if p.is_file() and not p.name.endswith(".key") and not any(part.startswith(".") for part in p.parts[-3:])
    )


@router.get(
    "/data/{path:path}",
    response_class=FileResponse,
    responses={**RESPONSES, 206: {"description": "the requested byte range"}},
)
def data_file(path: str, request: Request, owner: Caller):
    """A file a task of the caller produced; `Range: bytes=a-b` answers 206."""
    jobs = jobs_of(request)
    try:
        parts = paths.relative_parts(path)
        if len(parts) < 2 or not jobs.readable(parts[0], owner) or parts[-1].endswith(".key"):
            raise FileNotFoundError(path)
        real = paths.confined(parts, jobs.settings.data_dir)
        if not real.is_relative_to(jobs.task_dir(parts[0]).resolve()):
            raise FileNotFoundError(path)
    except (ValueError, FileNotFoundError):
        raise ApiError(404, "no such file") from None
    return FileResponse(real)


def write_zip(task_dir: Path) -> Path:
    with (
        tempfile.NamedTemporaryFile(prefix="s2v-archive-", suffix=".zip", delete=False) as handle,
        zipfile.ZipFile(handle, "w") as archive,
    ):
        for file in produced(task_dir):
            # media is already compressed; storing it is as small and much faster
            method = zipfile.ZIP_DEFLATED if file.suffix in (".json", ".srt", ".wav", ".txt") else zipfile.ZIP_STORED
            archive.write(file, file.relative_to(task_dir).as_posix(), compress_type=method)
    return Path(handle.name)


@router.get("/tasks/{task_id}/archive", response_class=FileResponse, responses=RESPONSES)
async def task_archive(task_id: str, request: Request, owner: Caller):
    """A zip of everything the task produced."""
    task = owned_task(request, task_id, owner)
    archive = await run_in_threadpool(write_zip, jobs_of(request).task_dir(task.task_id))
    return FileResponse(
        archive,
        media_type="application/zip",
        filename=f"{task.task_id}.zip",
        background=BackgroundTask(archive.unlink, missing_ok=True),
    )
