"""Uploads: images, audio, documents and editors' timelines a caller sends, checked by their content
(never their name), kept under `DATA_DIR/uploads/` and owned by the caller's key.

Images are fully decoded under a pixel cap and re-encoded as PNG (no decompression bomb, no
metadata, upright); audio must be something ffmpeg decodes to a sound with a length; documents
become UTF-8 text; a timeline (OpenTimelineIO JSON, or the one inside an .otioz bundle) must
parse as one and is kept as .otio. A refused file leaves nothing behind.
"""

import json
import secrets
import sqlite3
import threading
import time
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from PIL import ImageOps

from pipelines import ffmpeg
from pipelines.artifact_store import partial
from pipelines.documents import NotADocument, document_text
from pipelines.otio_timeline import BUNDLE_TIMELINE, MAX_TIMELINE_BYTES, bundle_timeline, read_timeline
from server import paths

FOLDER = "uploads"
MAX_AUDIO_SECONDS = 3 * 3600
HEAD_BYTES = 64
JSON_HEAD_BYTES = 4096  # where an OpenTimelineIO file names its schema


class Unsupported(ValueError):
    """Not a kind of file we take (415)."""


@dataclass
class Upload:
    upload_id: str
    owner: str
    name: str  # the file's name under uploads/
    kind: str  # image | audio | document | timeline
    media_type: str
    size: int
    created_at: float

    def public(self) -> dict:
        return {
            "url": f"{paths.PREFIX}{FOLDER}/{self.name}",
            "kind": self.kind,
            "media_type": self.media_type,
            "size": self.size,
        }


AUDIO = {"wav": "audio/wav", "mp3": "audio/mpeg", "flac": "audio/flac", "ogg": "audio/ogg"}


def sniff(head: bytes, data_file: Path) -> tuple[str, str]:
    """(kind, format) from the first bytes: image png|jpeg|webp, audio wav|mp3|flac|ogg, document
    pdf|docx|text, timeline otio|otioz. Raises Unsupported for anything else."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # a UTF-16 byte-order mark; 0xFFFE also looks like MP3 sync
        return "document", "text"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image", "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image", "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image", "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio", "wav"
    if head.startswith(b"fLaC"):
        return "audio", "flac"
    if head.startswith(b"OggS"):
        return "audio", "ogg"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio", "mp3"
    if head.startswith(b"%PDF-"):
        return "document", "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(data_file) as archive:
                names = archive.namelist()
            if "word/document.xml" in names:
                return "document", "docx"
            if BUNDLE_TIMELINE in names:
                return "timeline", "otioz"
        except zipfile.BadZipFile:
            pass
        raise Unsupported("a zip archive that is neither a .docx document nor an .otioz timeline")
    if head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"{") and is_otio(data_file):
        return "timeline", "otio"
    if b"\x00" not in head:
        return "document", "text"
    raise Unsupported("unsupported file type")


def is_otio(data_file: Path) -> bool:
    with data_file.open("rb") as handle:
        return b'"OTIO_SCHEMA"' in handle.read(JSON_HEAD_BYTES)


def timeline_text(received: Path, fmt: str) -> str:
    """The timeline's JSON, checked to parse as an OpenTimelineIO timeline (ValueError if not)."""
    if fmt == "otioz":
        text = bundle_timeline(received)
    else:
        with received.open("rb") as handle:
            data = handle.read(MAX_TIMELINE_BYTES + 1)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValueError("the timeline is not UTF-8 text") from None
    read_timeline(text)
    return text


def image_png(data: bytes, target: Path) -> None:
    with paths.check_image(data) as image:
        upright = ImageOps.exif_transpose(image)
        if upright.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit grey: scaled, not clipped, to 8 bits
            upright = upright.point(lambda value: value / 256).convert("L")
        upright.convert("RGBA" if "A" in upright.getbands() else "RGB").save(target, format="PNG")


def check_audio(source: Path) -> None:
    try:
        info = ffmpeg.probe(source)
    except (ffmpeg.FFmpegError, OSError):
        raise ValueError("the audio cannot be decoded") from None
    if not info.audio_codec or info.duration <= 0:
        raise ValueError("the file holds no sound")
    if info.duration > MAX_AUDIO_SECONDS:
        raise ValueError(f"the audio is longer than {MAX_AUDIO_SECONDS // 3600} hours")


class Uploads:
    """The uploads table (in the job table's SQLite file) and the files it names."""

    def __init__(self, data_dir: Path, db_path: Path):
        self.folder = data_dir / FOLDER
        self._lock = threading.Lock()
        self._db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        self._db.execute("CREATE TABLE IF NOT EXISTS uploads (upload_id TEXT PRIMARY KEY, owner TEXT, data TEXT)")
        self._by_name = {}
        for (data,) in self._db.execute("SELECT data FROM uploads"):
            upload = Upload(**json.loads(data))
            self._by_name[upload.name] = upload

    def owner_of(self, name: str) -> str | None:
        upload = self._by_name.get(name)
        return upload.owner if upload else None

    def add(self, owner: str, received: Path) -> Upload:
        """Check `received` (a temporary file) and keep what it holds; it is removed either way."""
        self.folder.mkdir(parents=True, exist_ok=True)
        upload_id = f"up_{secrets.token_hex(8)}"
        try:
            with received.open("rb") as handle:
                head = handle.read(HEAD_BYTES)
            kind, fmt = sniff(head, received)
            if kind == "image":
                name, media_type = f"{upload_id}.png", "image/png"
                target = self.folder / name
                image_png(received.read_bytes(), partial(target))
            elif kind == "timeline":
                name, media_type = f"{upload_id}.otio", "application/json"
                target = self.folder / name
                partial(target).write_text(timeline_text(received, fmt), encoding="utf-8")
            elif kind == "audio":
                name, media_type = f"{upload_id}.{fmt}", AUDIO[fmt]
                target = self.folder / name
                check_audio(received)
                received.replace(partial(target))
            else:
                name, media_type = f"{upload_id}.txt", "text/plain; charset=utf-8"
                target = self.folder / name
                try:
                    text = document_text(received.read_bytes(), fmt)
                except NotADocument as error:
                    if fmt == "text":
                        raise Unsupported(str(error)) from None
                    raise ValueError(str(error)) from None
                partial(target).write_text(text, encoding="utf-8")
            partial(target).replace(target)
        finally:
            received.unlink(missing_ok=True)
            for leftover in self.folder.glob(f".{upload_id}.part*"):
                leftover.unlink(missing_ok=True)
        upload = Upload(upload_id, owner, name, kind, media_type, target.stat().st_size, time.time())
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO uploads (upload_id, owner, data) VALUES (?, ?, ?)",
                    (upload_id, owner, json.dumps(asdict(upload))),
                )
            except sqlite3.Error:
                target.unlink(missing_ok=True)
                raise
            self._by_name[name] = upload
        return upload

    def close(self) -> None:
        with self._lock:
            self._db.close()
