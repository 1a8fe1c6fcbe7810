"""Produced files: `/data/<task>/...` with HTTP Range, and a task's archive as a zip."""

import tempfile
import zipfile
from functools import partial
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, StreamingResponse
from starlette.responses import MalformedRangeHeader, RangeNotSatisfiable

from server import paths
from server.auth import Caller
from server.deps import AccessDep, TasksDep
from server.errors import ERROR_RESPONSES, ApiError
from server.routes.common import owned_task

router = APIRouter(tags=["files"])
RESPONSES = {status: ERROR_RESPONSES[status] for status in (401, 404)}
CHUNK = 1 << 20
COMPRESSIBLE = (".json", ".srt", ".ass", ".wav", ".txt")  # media is already compressed: stored as is


def produced(task_dir: Path) -> list[Path]:
    """A task's own files: no hidden work folders or partials, no symlinks."""
    found = []
    for path in task_dir.rglob("*"):
        inside = path.relative_to(task_dir).parts
        if path.is_symlink() or not path.is_file() or any(part.startswith(".") for part in inside):
            continue
        found.append(path)
    return sorted(found)


def screen_range(request: Request, size: int) -> None:
    """A malformed Range is ignored (the whole file is sent, RFC 9110); one outside the file is a 416."""
    header = request.headers.get("range")
    if header is None:
        return
    try:
        FileResponse._parse_range_header(header, size)
    except MalformedRangeHeader:
        request.scope["headers"] = [(k, v) for k, v in request.scope["headers"] if k != b"range"]
    except RangeNotSatisfiable:
        headers = {"Content-Range": f"bytes */{size}"}
        raise ApiError(416, "the range is outside the file", code="range_not_satisfiable", headers=headers) from None


@router.head("/data/{path:path}", include_in_schema=False)
@router.get(
    "/data/{path:path}",
    response_class=FileResponse,
    responses={**RESPONSES, 206: {"description": "the requested byte range"}, 416: ERROR_RESPONSES[416]},
)
def data_file(path: str, request: Request, owner: Caller, jobs: TasksDep, access: AccessDep):
    """A file a task of the caller produced, or one the caller uploaded; `Range: bytes=a-b` answers 206."""
    try:
        readable = partial(access.readable, owner=owner)
        real = paths.owned_file(paths.relative_parts(path), jobs.settings.data_dir, readable)
        stat = real.stat()  # now, so a file deleted meanwhile is a 404 here, not a failure mid-response
    except (ValueError, OSError):
        raise ApiError(404, "no such file") from None
    screen_range(request, stat.st_size)
    return FileResponse(real, stat_result=stat)


def write_zip(task_dir: Path):
    """The archive in an unnamed temporary file (gone when closed, whatever happens to the client)."""
    handle = tempfile.TemporaryFile(prefix="s2v-archive-")  # noqa: SIM115 - the response stream closes it
    try:
        with zipfile.ZipFile(handle, "w") as archive:
            for file in produced(task_dir):
                method = zipfile.ZIP_DEFLATED if file.suffix in COMPRESSIBLE else zipfile.ZIP_STORED
                archive.write(file, file.relative_to(task_dir).as_posix(), compress_type=method)
        size = handle.tell()
        handle.seek(0)
        return handle, size
    except BaseException:
        handle.close()
        raise


def chunks(handle):
    with handle:
        while data := handle.read(CHUNK):
            yield data


@router.get(
    "/tasks/{task_id}/archive",
    response_class=StreamingResponse,
    responses={**RESPONSES, 200: {"content": {"application/zip": {}}, "description": "a zip"}},
)
async def task_archive(task_id: str, owner: Caller, jobs: TasksDep):
    """A zip of everything the task produced."""
    task = owned_task(jobs, task_id, owner)
    try:
        handle, size = await run_in_threadpool(write_zip, jobs.task_dir(task.task_id))
    except OSError:  # deleted while we zipped it
        raise ApiError(404, "no such task") from None
    headers = {"Content-Disposition": f'attachment; filename="{task.task_id}.zip"', "Content-Length": str(size)}
    return StreamingResponse(chunks(handle), media_type="application/zip", headers=headers)
