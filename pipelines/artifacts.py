"""Artifacts on disk: atomic writes, and a key beside each file so a later run can reuse it."""

import hashlib
import json
import os
from pathlib import Path


def key_of(**params) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()


def _key_file(path: Path) -> Path:
    return path.with_name(path.name + ".key")


def reusable(path: Path, key: str) -> bool:
    """True when `path` was finished by an earlier run with the same inputs."""
    try:
        return path.is_file() and _key_file(path).read_text() == key
    except OSError:
        return False


def partial(path: Path) -> Path:
    """Where to write `path` before it is complete; same folder, so the final rename is atomic."""
    return path.with_name(f".{path.stem}.part{path.suffix}")


def commit(part: Path, path: Path, key: str) -> Path:
    os.replace(part, path)
    _key_file(path).write_text(key)
    return path


def write_text(path: Path, text: str, key: str = "") -> Path:
    part = partial(path)
    part.write_text(text, encoding="utf-8")
    return commit(part, path, key)


def write_json(path: Path, data, key: str = "") -> Path:
    return write_text(path, json.dumps(data, ensure_ascii=False, indent=2, default=str), key)
