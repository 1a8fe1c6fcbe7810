"""Uploads: one file per request (multipart field `file`), kept when its content checks out."""

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.concurrency import run_in_threadpool

from server.auth import Caller
from server.deps import UploadsDep
from server.errors import ERROR_RESPONSES, ApiError, BodyTooLarge
from server.schemas import UploadPublic
from server.uploads import Unsupported

router = APIRouter(tags=["uploads"])
RESPONSES = {status: ERROR_RESPONSES[status] for status in (400, 401, 413, 415)}


def received_copy(upload: UploadFile, folder: Path, limit: int) -> Path:
    """The upload's bytes in a file of our own (the parser's spool goes when the request ends)."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".incoming-", delete=False) as handle:
        shutil.copyfileobj(upload.file, handle, 1 << 20)
    received = Path(handle.name)
    if received.stat().st_size > limit:  # the body's limit allowed for the multipart wrapping
        received.unlink()
        raise BodyTooLarge(limit)
    return received


@router.post("/uploads", status_code=201, response_model=UploadPublic, responses=RESPONSES)
async def create_upload(request: Request, owner: Caller, uploads: UploadsDep, file: Annotated[UploadFile, File()]):
    """An image (PNG, JPEG, WebP), a sound (WAV, MP3, FLAC, OGG), a document (txt/md in UTF-8,
    UTF-16 or GB18030, docx, pdf) or an editor's timeline (OpenTimelineIO .otio, or an .otioz
    bundle, kept as its .otio), recognised by its content. Its URL can be any shot's `frame` or
    `audio`, a music track, a project's document, or a timeline to import into a project."""
    limit = request.app.state.settings.max_upload_bytes
    received = await run_in_threadpool(received_copy, file, uploads.folder, limit)
    try:
        upload = await run_in_threadpool(uploads.add, owner, received)
    except Unsupported as error:
        raise ApiError(
            415,
            f"{error}: send a PNG, JPEG or WebP image, a WAV, MP3, FLAC or OGG sound, "
            "a txt, md, docx or pdf document, or an OpenTimelineIO timeline (.otio, .otioz)",
            code="unsupported_media_type",
            field="file",
        ) from None
    except ValueError as error:
        raise ApiError(400, str(error), field="file") from None
    return upload.public()
