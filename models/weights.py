"""Checks a role's weights folder before any library touches it, so a bad folder is one clear error."""

import hashlib
import json
import struct
from pathlib import Path

from models.errors import WeightsError

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")
FIX = (
    "fetch the real weights with `python scripts/fetch_weights.py --role {role}`, "
    "or build tiny test weights with `python scripts/make_tiny_weights.py` and set S2V_WEIGHTS_DIR=weights/tiny"
)


def fail(role: str, folder: Path, problem: str) -> WeightsError:
    return WeightsError(f"{role} weights at {folder}: {problem}; {FIX.format(role=role)}")


def check_safetensors(role: str, folder: Path, file: Path) -> None:
    """A safetensors file states its own length in its header: a short file is a truncated one."""
    size = file.stat().st_size
    try:
        with file.open("rb") as handle:
            (header_len,) = struct.unpack("<Q", handle.read(8))
            if header_len > size:
                raise ValueError("header longer than the file")
            header = json.loads(handle.read(header_len))
    except (struct.error, ValueError, UnicodeDecodeError) as error:
        raise fail(role, folder, f"{file.name} is not a safetensors file ({error})") from None
    data_end = max((t["data_offsets"][1] for k, t in header.items() if k != "__metadata__"), default=0)
    if size < 8 + header_len + data_end:
        raise fail(
            role, folder, f"{file.relative_to(folder)} is truncated ({size} of {8 + header_len + data_end} bytes)"
        )


def check_model_dir(role: str, root: Path, sub: Path) -> None:
    """A transformers/diffusers model folder: a config and safetensors weights, never pickles alone."""
    if not (sub / "config.json").is_file():
        raise fail(role, root, f"{sub.relative_to(root) if sub != root else '.'}/config.json is missing")
    tensors = sorted(sub.glob("*.safetensors"))
    if not tensors:
        pickles = [p.name for p in sub.iterdir() if p.suffix in PICKLE_SUFFIXES]
        what = f"only pickle weights ({', '.join(pickles)}), which we do not load" if pickles else "no weights"
        raise fail(role, root, f"{sub.relative_to(root) if sub != root else '.'} has {what}")
    for file in tensors:
        check_safetensors(role, root, file)


def check_folder(role: str, folder: Path, kind: str) -> None:
    """kind: 'diffusers' (model_index.json), 'transformers' (config.json) or 'coqui' (config + checkpoint)."""
    if not folder.is_dir():
        raise fail(role, folder, "folder not found")
    if kind == "diffusers":
        index_file = folder / "model_index.json"
        if not index_file.is_file():
            raise fail(role, folder, "model_index.json is missing")
        index = json.loads(index_file.read_text())
        for name, spec in index.items():
            if not (isinstance(spec, list) and spec[0]):
                continue  # metadata or an absent optional component
            if not (folder / name).is_dir():
                raise fail(role, folder, f"component folder {name}/ is missing")
            if (folder / name / "config.json").is_file():  # a model; schedulers and tokenizers have none
                check_model_dir(role, folder, folder / name)
    elif kind == "transformers":
        check_model_dir(role, folder, folder)
    elif kind == "coqui":
        if not (folder / "config.json").is_file():
            raise fail(role, folder, "config.json is missing")
        if not any(folder.glob("*.pth")):
            raise fail(role, folder, "no coqui checkpoint (*.pth)")
    else:
        raise ValueError(kind)


WHOLE = 16 << 20  # files up to this size are hashed whole
SAMPLES, PIECE = 16, 1 << 16  # pieces of a larger file hashed: first, last and evenly between


def fingerprint(folder: Path) -> str:
    """A cheap identity of a model folder: every file's name and size, the contents of its configs
    and of every file up to WHOLE bytes, and SAMPLES evenly spaced pieces of each larger one.
    Weights of the same shapes (a fine-tune, a rebuilt random model) differ everywhere, so their
    pieces do, while gigabytes are never read whole."""
    digest = hashlib.sha256()
    files = [folder] if folder.is_file() else sorted(p for p in folder.rglob("*") if p.is_file())
    for file in files:
        size = file.stat().st_size
        digest.update(f"{file.relative_to(folder) if file != folder else file.name}:{size}\n".encode())
        with file.open("rb") as data:
            if size <= WHOLE:
                digest.update(data.read())
                continue
            for index in range(SAMPLES):
                data.seek((size - PIECE) * index // (SAMPLES - 1))
                digest.update(data.read(PIECE))
    return digest.hexdigest()
