"""The artifact store: every stage output kept once under the hash of everything that made it.

A key is the hash of the stage's name, its inputs (texts, numbers, the content keys of the files it
was made from), the model's identity and the settings that change output. The same work is
never done twice for one owner; owners never share a file. A task (or project) folder holds hard
links to the artifacts it used, so its `/data/` URLs, archives and deletes work as plain files,
and an artifact's link count tells whether anything still references it: eviction removes only
unreferenced ones, least recently used first.
"""

import contextlib
import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from loguru import logger

OPEN_OWNER = "open"  # the owner folder when API keys are off


def key_of(**params) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()


def partial(path: Path) -> Path:
    """Where to write `path` before it is complete; same folder, so the final rename is atomic."""
    return path.with_name(f".{path.stem}.part{path.suffix}")


def write_text(path: Path, text: str) -> Path:
    part = partial(path)
    part.write_text(text, encoding="utf-8")
    os.replace(part, path)
    return path


def write_json(path: Path, data) -> Path:
    return write_text(path, json.dumps(data, ensure_ascii=False, indent=2, default=str))


_content_keys: dict[tuple, str] = {}
_content_lock = threading.Lock()


def content_key(path: Path) -> str:
    """The hash of a file's bytes (remembered per inode, size and mtime: a file is hashed once)."""
    stat = path.stat()
    identity = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
    with _content_lock:
        if identity in _content_keys:
            return _content_keys[identity]
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    with _content_lock:
        _content_keys[identity] = digest.hexdigest()
    return _content_keys[identity]


class ArtifactStore:
    """One owner's artifacts under `root/<owner>/<key[:2]>/<key><suffix>`."""

    def __init__(self, root: Path, owner: str = ""):
        self.base = root
        self.root = root / (owner or OPEN_OWNER)

    def for_owner(self, owner: str) -> "ArtifactStore":
        return ArtifactStore(self.base, owner)

    def path(self, key: str, suffix: str) -> Path:
        return self.root / key[:2] / f"{key}{suffix}"

    def find(self, key: str, suffix: str) -> Path | None:
        """The finished artifact, marked as just used; None when it was never made (or was evicted)."""
        path = self.path(key, suffix)
        try:
            os.utime(path)  # the LRU clock: mtime is the last use
        except FileNotFoundError:
            return None
        return path

    @contextlib.contextmanager
    def making(self, key: str, suffix: str) -> Iterator[Path]:
        """A path to write the artifact to; it becomes the artifact only if the block succeeds."""
        path = self.path(key, suffix)
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(f".{key}.{os.getpid()}.{threading.get_ident()}.part{suffix}")
        try:
            yield part
            os.replace(part, path)
        finally:
            part.unlink(missing_ok=True)

    def place(self, artifact: Path, destination: Path) -> Path:
        """Make `destination` (in a task or project folder) the artifact itself: a hard link, else a copy."""
        destination.parent.mkdir(parents=True, exist_ok=True)
        if destination.exists() and os.path.samefile(artifact, destination):
            return destination
        part = partial(destination)
        part.unlink(missing_ok=True)
        try:
            os.link(artifact, part)
        except OSError:  # another file system, or one without hard links: a copy is as good
            shutil.copyfile(artifact, part)
        os.replace(part, destination)
        return destination

    def evict(self, max_bytes: int, grace: float = 600.0) -> list[Path]:
        """Remove unreferenced artifacts (no link outside the store), oldest use first, until all
        artifacts together fit in `max_bytes`. Referenced ones stay whatever the total, and so do
        those used in the last `grace` seconds (a running task may be about to link them)."""
        files, now = [], time.time()
        for path in self.base.glob("*/*/*"):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            if path.name.startswith("."):
                if now - stat.st_mtime > 3600:  # a part left by a killed process
                    path.unlink(missing_ok=True)
                continue
            files.append((stat.st_mtime, stat.st_size, stat.st_nlink, path))
        total = sum(size for _, size, _, _ in files)
        removed = []
        for used, size, links, path in sorted(files):
            if total <= max_bytes:
                break
            if links > 1 or now - used < grace:
                continue
            path.unlink(missing_ok=True)
            total -= size
            removed.append(path)
        if removed:
            logger.info("artifact store: evicted {} unreferenced artifact(s)", len(removed))
        return removed
