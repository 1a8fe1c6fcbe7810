"""A project render handed to an editor: what the render used (its manifest) kept in the render's
folder with links to its media, so the render stays whole whatever happens to its shots later;
each export built from it once, on first asking, and kept beside it."""

import os
import re
import threading
from pathlib import Path

from pipelines.artifact_store import partial, write_json
from pipelines.exports import SUFFIXES, check_format, write_export
from pipelines.manifest import Media, RenderManifest
from studio.project import Project

MANIFEST = "timeline.json"
MEDIA = "media"
EXPORTS = "exports"

_building: dict[Path, threading.Lock] = {}
_building_guard = threading.Lock()


class NoTimeline(LookupError):
    """The render has no manifest (it was made before renders kept one)."""


def render_folder(data_dir: Path, project_id: str, render_id: str) -> Path:
    return data_dir / project_id / "renders" / render_id


def keep_manifest(store, folder: Path, manifest: RenderManifest, project: Project) -> None:
    """The manifest in the render's folder, its media linked into `media/` beside it (`store`: the
    artifact store that links them), each shot with the take its files belong to."""

    def kept(media: Media) -> Path:
        store.place(media.path, folder / MEDIA / media.name)
        return Path(MEDIA) / media.name

    relinked = manifest.relinked(kept)
    for cut in relinked.shots:
        shot = project.shot(cut.shot_id)
        cut.take_id = shot.take_id if shot else None
    write_json(folder / MANIFEST, relinked.model_dump(mode="json"))


def read_manifest(folder: Path) -> RenderManifest:
    try:
        return RenderManifest.model_validate_json((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NoTimeline(folder.name) from None


def manifests_of(data_dir: Path, project: Project) -> dict[str, RenderManifest]:
    """Every render of the project that kept a manifest, by render id."""
    found = {}
    for render in project.renders:
        try:
            found[render.render_id] = read_manifest(render_folder(data_dir, project.project_id, render.render_id))
        except NoTimeline:
            continue
    return found


def export_name(project: Project) -> str:
    """The timeline's name and its files' stem: the title in file-name-safe characters."""
    return re.sub(r"[^\w-]+", "-", project.title).strip("-")[:60] or project.project_id


def export_file(data_dir: Path, project: Project, render_id: str, fmt: str) -> Path:
    """The render as `fmt`, built now if it was never asked for. NoTimeline: the render has no
    manifest; ValueError: the format cannot hold this render (its frame rate)."""
    folder = render_folder(data_dir, project.project_id, render_id)
    manifest = read_manifest(folder)
    check_format(fmt, manifest.fps)
    target = folder / EXPORTS / f"{fmt}{SUFFIXES[fmt]}"
    with _building_guard:
        lock = _building.setdefault(target, threading.Lock())
    with lock:  # two requests for one export build it once
        if target.exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        part = partial(target)
        part.unlink(missing_ok=True)
        try:
            about = {"project_id": project.project_id, "render_id": render_id}
            write_export(fmt, manifest, folder, part, name=export_name(project), about=about)
            os.replace(part, target)
        finally:
            part.unlink(missing_ok=True)
    return target
