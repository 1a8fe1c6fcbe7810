"""Paths clients send and receive: `/data/<task or uploads>/...` URLs confined to the data root, and
image data URIs."""

import base64
import binascii
import io
import re
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from PIL import Image

from studio.files import PREFIX

DATA_URI = re.compile(r"^data:image/(png|jpeg|webp);base64,", re.IGNORECASE)
MAX_IMAGE_PIXELS = 4096 * 4096  # an input keyframe; larger is a decompression bomb, not a frame
IMAGE_FORMATS = ("PNG", "JPEG", "WEBP")


def relative_parts(text: str) -> tuple[str, ...]:
    """The parts of a path under the data root; refuses `..`, `.`, hidden names, NUL and backslashes."""
    text = unquote(text)
    if "\x00" in text or "\\" in text or text.startswith("/"):
        raise ValueError("the path must be relative to the data root")
    parts = PurePosixPath(text).parts
    if not parts or any(part in ("..", ".") or part.startswith(".") for part in parts):
        raise ValueError("the path may not contain '..', '.' or hidden names")
    return parts


def confined(parts: tuple[str, ...], data_dir: Path) -> Path:
    """The real file the parts name, after symlinks, if it lies inside the data root."""
    root = data_dir.resolve()
    try:
        real = root.joinpath(*parts).resolve(strict=True)
    except (OSError, RuntimeError):
        raise FileNotFoundError("no such file") from None
    if not real.is_relative_to(root) or not real.is_file():
        raise FileNotFoundError("no such file")
    return real


def task_file(parts: tuple[str, ...], data_dir: Path) -> Path:
    """A file inside the folder `parts[0]` (a task's, or uploads/), after symlinks."""
    if len(parts) < 2:
        raise FileNotFoundError("no such file")
    real = confined(parts, data_dir)
    if not real.is_relative_to((data_dir / parts[0]).resolve()):
        raise FileNotFoundError("no such file")
    return real


def owned_file(parts: tuple[str, ...], data_dir: Path, readable: Callable[[tuple[str, ...]], bool]) -> Path:
    """A file of a task or an upload the caller may read (`readable`); FileNotFoundError for anything else."""
    if not parts or not readable(parts):
        raise FileNotFoundError("no such file")
    return task_file(parts, data_dir)


def data_parts(value: str) -> tuple[str, ...]:
    if not value.startswith(PREFIX):
        raise ValueError("must be a /data/... path of an earlier task or an upload")
    return relative_parts(value[len(PREFIX) :])


def check_image(data: bytes | Path) -> Image.Image:
    """Open an input image and refuse anything that is not a sane PNG/JPEG/WebP."""
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    try:
        with Image.open(source) as probe:
            if probe.format not in IMAGE_FORMATS:
                raise ValueError("the image must be PNG, JPEG or WebP")
            if probe.width * probe.height > MAX_IMAGE_PIXELS:
                raise ValueError(f"the image is larger than {MAX_IMAGE_PIXELS} pixels")
            probe.verify()
        image = Image.open(io.BytesIO(data) if isinstance(data, bytes) else data)
        image.load()
        return image
    except (OSError, SyntaxError, Image.DecompressionBombError):
        raise ValueError("the image cannot be decoded") from None


def decode_data_uri(value: str) -> Image.Image:
    match = DATA_URI.match(value)
    if not match:
        raise ValueError("a data URI must be data:image/png|jpeg|webp;base64,...")
    try:
        data = base64.b64decode(value[match.end() :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the data URI is not valid base64") from None
    return check_image(data)
