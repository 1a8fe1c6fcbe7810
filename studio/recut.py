"""An editor's re-cut brought back into its project. The clips on the timeline's first video track
are matched to the project's shots, by the `story2video` metadata our exports write or else by
their media's file name among the project's renders; their order becomes the shots' order, and a
clip trimmed to another length gives its shot that `duration`. A shot whose clip was removed stays
(it is reported), and a clip of media the project never rendered is refused by name.

The whole re-cut is planned before anything changes, so a refused timeline leaves the project as
it was; it is applied with the edits a PATCH makes (`studio.edits`), so exactly what changed is
stale. The media a timeline names are never opened: only their file names are read."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Literal
from urllib.parse import unquote, urlparse

import opentimelineio as otio
from pydantic import BaseModel, Field

from pipelines.manifest import RenderManifest
from pipelines.otio_timeline import KEY
from pipelines.render_options import MAX_SHOTS
from pipelines.specs import InvalidInput
from studio import edits
from studio.project import Project

FIELD = "timeline"
MAX_ITEMS = 8 * MAX_SHOTS  # clips, gaps and transitions on the picture track: a cut of every shot, and more
MIN_SECONDS, MAX_SECONDS = 0.5, 30.0  # a shot's duration (pipelines.shot.ShotCore)
TIMELINE_SUFFIXES = (".otio", ".otioz", ".otiod", ".xml", ".fcpxml", ".edl", ".aaf")


class Applied(BaseModel):
    """One change the re-cut made to a shot."""

    shot_id: str
    field: Literal["index", "duration"]
    before: int | float | None = Field(description="its position, or its duration (null: its narration's)")
    after: int | float | None


class Ignored(BaseModel):
    """Something in (or missing from) the timeline that changed nothing, and why."""

    shot_id: str | None = None
    clip: str | None = None  # the clip's name on the timeline
    reason: str


@dataclass
class Recut:
    order: list[str]  # every shot of the project, in its new order
    durations: dict[str, float]  # the shots whose clips were trimmed, and their new lengths
    ignored: list[Ignored] = field(default_factory=list)


def refused(message: str) -> InvalidInput:
    return InvalidInput(message, FIELD)


def plan_recut(project: Project, timeline: otio.schema.Timeline, manifests: dict[str, RenderManifest]) -> Recut:
    """What the timeline changes in the project (`manifests`: its renders', by id); InvalidInput
    naming `timeline` for a timeline it cannot take."""
    about = timeline.metadata.get(KEY)
    if isinstance(about, Mapping) and about.get("project_id") not in (None, project.project_id):
        raise refused("the timeline is another project's")
    tracks = timeline.video_tracks()
    if not tracks:
        raise refused("the timeline has no video track")
    items = list(tracks[0])
    if len(items) > MAX_ITEMS:
        raise refused(f"the picture track holds more than {MAX_ITEMS} items")
    names = media_names(manifests)
    seen: list[str] = []
    recut = Recut(order=[], durations={})
    for position, item in enumerate(items):
        if isinstance(item, otio.schema.Transition | otio.schema.Gap):
            continue
        if not isinstance(item, otio.schema.Clip):
            recut.ignored.append(Ignored(clip=item.name, reason="a nested sequence is not read"))
            continue
        render_id, shot_id = identify(project, item, names)
        if shot_id in seen:
            recut.ignored.append(Ignored(shot_id=shot_id, clip=item.name, reason="the shot is on the track already"))
            continue
        if project.shot(shot_id) is None:
            recut.ignored.append(Ignored(shot_id=shot_id, clip=item.name, reason="the shot was deleted"))
            continue
        seen.append(shot_id)
        manifest = manifests.get(render_id)
        if manifest is None:
            recut.ignored.append(Ignored(shot_id=shot_id, clip=item.name, reason="its render is gone: length not read"))
            continue
        seconds = trimmed_length(manifest, shot_id, items, position)
        if seconds is not None:
            recut.durations[shot_id] = seconds
    old = [shot.shot_id for shot in project.shots]
    for shot_id in old:
        if shot_id not in seen:
            recut.ignored.append(Ignored(shot_id=shot_id, reason="not on the timeline: the shot stays"))
    recut.order = merged(old, seen)
    return recut


def media_names(manifests: dict[str, RenderManifest]) -> dict[str, tuple[str, str]]:
    """Each rendered clip's file name -> its render and shot."""
    return {
        cut.clip.name: (render_id, cut.shot_id) for render_id, manifest in manifests.items() for cut in manifest.shots
    }


def identify(project: Project, clip: otio.schema.Clip, names: dict[str, tuple[str, str]]) -> tuple[str | None, str]:
    """The render and shot a clip shows: from our metadata, else from its media's file name."""
    name = media_name(clip)
    facts = clip.metadata.get(KEY)
    if isinstance(facts, Mapping) and isinstance(facts.get("shot_id"), str):
        if facts.get("project_id") not in (None, project.project_id):
            raise refused(f"clip {clip.name!r} is another project's")
        render_id = facts.get("render_id")
        return render_id if isinstance(render_id, str) else None, facts["shot_id"]
    if name is None:
        raise refused(f"clip {clip.name!r} has no media file and no story2video metadata")
    if name not in names:
        raise refused(f"clip {clip.name!r}: its media {name!r} is no file of this project's renders")
    return names[name]


def media_name(clip: otio.schema.Clip) -> str | None:
    """The file name of a clip's media, from its URL (never opened); None without one. A path that
    climbs with '..', a URL that is not a file, or media that is itself a timeline (nested, or
    the timeline itself) is refused."""
    url = getattr(clip.media_reference, "target_url", None)
    if not url:
        return None
    parsed = urlparse(url)
    if parsed.scheme not in ("", "file") and len(parsed.scheme) > 1:  # one letter: a Windows drive
        raise refused(f"clip {clip.name!r}: its media {url[:200]!r} is not a file")
    path = PurePosixPath(unquote(parsed.path if parsed.scheme == "file" else url).replace("\\", "/"))
    if ".." in path.parts:
        raise refused(f"clip {clip.name!r}: its media path {url[:200]!r} climbs out of its folder with '..'")
    if path.suffix.lower() in TIMELINE_SUFFIXES:
        raise refused(f"clip {clip.name!r}: its media {path.name!r} is a timeline, not a picture")
    return path.name


def trimmed_length(manifest: RenderManifest, shot_id: str, items: list, position: int) -> float | None:
    """The shot's new clip length when the editor trimmed its clip, in seconds; None when its
    track length is the render's. The length counts the transitions' handles around it, as the
    render's clip did."""
    index = next((i for i, cut in enumerate(manifest.shots) if cut.shot_id == shot_id), None)
    if index is None:
        return None
    fps = manifest.fps
    first, end = manifest.visible(index)
    shown = round(items[position].trimmed_range().duration.rescaled_to(fps).value)
    if shown == end - first:
        return None
    before = items[position - 1] if position else None
    after = items[position + 1] if position + 1 < len(items) else None
    handles = (
        before.in_offset if isinstance(before, otio.schema.Transition) else None,
        after.out_offset if isinstance(after, otio.schema.Transition) else None,
    )
    frames = shown + sum(round(h.rescaled_to(fps).value) for h in handles if h is not None)
    seconds = round(frames / fps, 3)
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        name = items[position].name
        raise refused(f"clip {name!r} lasts {seconds} s; a shot lasts {MIN_SECONDS} to {MAX_SECONDS} s")
    return seconds


def merged(old: list[str], placed: list[str]) -> list[str]:
    """The timeline's order, each shot it left out kept right after the shot it followed."""
    order = list(placed)
    for index, shot_id in enumerate(old):
        if shot_id not in order:
            order.insert(order.index(old[index - 1]) + 1 if index else 0, shot_id)
    return order


def apply_recut(project: Project, recut: Recut) -> list[Applied]:
    """The planned re-cut, applied as PATCHes would: new durations stale their clips; the new order
    stales the clips of shots that become or stop being the last (`edits.touch_neighbours`)."""
    applied = []
    for shot_id, seconds in recut.durations.items():
        shot = project.shot(shot_id)
        applied.append(Applied(shot_id=shot_id, field="duration", before=shot.duration, after=seconds))
        edits.patch_shot(project, shot, {"duration": seconds})
    before = {shot.shot_id: index for index, shot in enumerate(project.shots)}
    project.shots = [project.shot(shot_id) for shot_id in recut.order]
    edits.touch_neighbours(project)
    for index, shot in enumerate(project.shots):
        if before[shot.shot_id] != index:
            applied.append(Applied(shot_id=shot.shot_id, field="index", before=before[shot.shot_id], after=index))
    return applied
