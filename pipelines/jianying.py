"""A render's timeline as a Jianying (剪映) draft folder, zipped, written with pyJianYingDraft: the
picture track with its transitions, a track per narration lane (each dialogue part a segment of
its own), the music bed with its level and fades, and the subtitles as a text track.

The layout is the OpenTimelineIO timeline's (`pipelines.otio_timeline`), so both agree to the
frame; Jianying counts microseconds, and each boundary is its frame's time rounded to one. The
media go in the draft's own `materials/` folder and are named through Jianying's draft-folder
placeholder, so the draft opens wherever its folder is put."""

import json
import tempfile
import uuid
import zipfile
from pathlib import Path

import opentimelineio as otio
import pyJianYingDraft as draft

from pipelines.manifest import RenderManifest
from pipelines.otio_timeline import KEY

PLACEHOLDER = "##_draftpath_placeholder_0E685133-18CE-45ED-8CB8-2904A212EC80_##"  # the draft's own folder
MATERIALS = "materials"
TRANSITIONS = {  # ours -> Jianying's (pyJianYingDraft's TransitionType names); others: a dissolve
    "fadeblack": "闪黑",
    "fadewhite": "闪白",
    "wipeleft": "向左擦除",
    "wiperight": "向右擦除",
    "slideleft": "左移",
    "smoothleft": "左移",
    "slideright": "右移",
    "circleopen": "圆形遮罩",
    "zoomin": "推近",
    "radial": "顺时针旋转",
}
DISSOLVE = "叠化"
# Jianying's own look for imported subtitles (pyJianYingDraft's import_srt defaults): small, centred, low.
SUBTITLE_STYLE = {"size": 5, "align": 1, "auto_wrapping": True}
SUBTITLE_PLACE = -0.8


def micros(frames: int, fps: int) -> int:
    """A frame's time in microseconds, rounded (integer arithmetic: no drift over a long film)."""
    return (frames * 2_000_000 + fps) // (2 * fps)


def timerange(start: int, frames: int, fps: int) -> draft.Timerange:
    first = micros(start, fps)
    return draft.Timerange(first, micros(start + frames, fps) - first)


def write_draft(timeline: otio.schema.Timeline, manifest: RenderManifest, folder: Path, target: Path, *, name: str):
    """`timeline`: the render's, its media named by their file names; `folder`: the render's folder
    (the manifest's media paths are relative to it). Writes the zipped draft folder `name/`."""
    fps = manifest.fps
    with tempfile.TemporaryDirectory(prefix=".jianying-") as work:
        script = draft.DraftFolder(work).create_draft(name, manifest.width, manifest.height, fps)
        files = {media.name: folder / media.path for media in manifest.media()}
        materials: dict[str, draft.VideoMaterial | draft.AudioMaterial] = {}
        for track in timeline.tracks:
            picture = track.kind == otio.schema.TrackKind.Video
            kind = draft.TrackType.video if picture else draft.TrackType.audio
            script.append_track(draft.TrackSpec(kind, name=track.name))
            clips = [item for item in track if isinstance(item, otio.schema.Clip)]
            for clip in clips:
                media = clip.media_reference
                if media.target_url not in materials:
                    materials[media.target_url] = material(files[media.target_url], media, picture, fps)
                placed = track.range_of_child(clip)
                segment = segment_of(clip, placed, materials[media.target_url], picture, fps)
                if picture:
                    fade_into_next(segment, track, clip, fps)
                else:
                    fade(segment, clip, first=clip is clips[0], last=clip is clips[-1])
                script.add_segment(segment, track.name)
        subtitles(script, timeline, fps)
        script.save()
        draft_folder = Path(work) / name
        describe(draft_folder, name, script.duration)
        with zipfile.ZipFile(target, "w") as archive:
            for path in sorted(draft_folder.iterdir()):
                archive.write(path, f"{name}/{path.name}", compress_type=zipfile.ZIP_DEFLATED)
            for file_name, path in sorted(files.items()):
                archive.write(path, f"{name}/{MATERIALS}/{file_name}", compress_type=zipfile.ZIP_STORED)


def material(path: Path, media: otio.schema.ExternalReference, picture: bool, fps: int):
    made = draft.VideoMaterial(str(path)) if picture else draft.AudioMaterial(str(path))
    made.material_name = media.target_url
    # The prober reports whole milliseconds; the film's frames are in the file all the same.
    made.duration = max(made.duration, micros(media.available_range.duration.to_frames(), fps))
    made.path = f"{PLACEHOLDER}/{MATERIALS}/{media.target_url}"
    return made


def segment_of(clip: otio.schema.Clip, placed: otio.opentime.TimeRange, made, picture: bool, fps: int):
    target = timerange(placed.start_time.to_frames(), placed.duration.to_frames(), fps)
    # Taken as long as it is placed (rounding may make the two differ by a microsecond; neighbours
    # must not overlap by one), and inside the file.
    first = min(micros(clip.source_range.start_time.to_frames(), fps), made.duration - target.duration)
    taken = draft.Timerange(first, target.duration)
    if picture:
        return draft.VideoSegment(made, target, source_timerange=taken, speed=1.0)
    volume = clip.metadata.get(KEY, {}).get("volume", 1.0)
    return draft.AudioSegment(made, target, source_timerange=taken, speed=1.0, volume=volume)


def fade(segment, clip: otio.schema.Clip, *, first: bool, last: bool) -> None:
    """The music bed's fades: in on its first segment, out on its last (it is looped)."""
    facts = clip.metadata.get(KEY, {})
    if "fade_in" in facts:
        fade_in, fade_out = (round(facts[name] * 1_000_000) for name in ("fade_in", "fade_out"))
        segment.add_fade(fade_in if first else 0, fade_out if last else 0)


def fade_into_next(segment, track: otio.schema.Track, clip: otio.schema.Clip, fps: int) -> None:
    """Jianying puts a transition on the segment before it, as long as the film's."""
    index = track.index(clip)
    following = track[index + 1] if index + 1 < len(track) else None
    if isinstance(following, otio.schema.Transition):
        frames = following.in_offset.to_frames() + following.out_offset.to_frames()
        ours = following.metadata.get(KEY, {}).get("transition", "")
        segment.add_transition(draft.TransitionType[TRANSITIONS.get(ours, DISSOLVE)], duration=micros(frames, fps))


def subtitles(script, timeline: otio.schema.Timeline, fps: int) -> None:
    markers = list(timeline.tracks.markers)
    if not markers:
        return
    script.append_track(draft.TrackSpec(draft.TrackType.text, name="subtitles"))
    style, place = draft.TextStyle(**SUBTITLE_STYLE), draft.ClipSettings(transform_y=SUBTITLE_PLACE)
    for marker in markers:
        lines = marker.metadata.get(KEY, {}).get("subtitle", [marker.name])
        span = marker.marked_range
        timing = timerange(span.start_time.to_frames(), span.duration.to_frames(), fps)
        script.add_segment(draft.TextSegment("\n".join(lines), timing, style=style, clip_settings=place), "subtitles")


def describe(draft_folder: Path, name: str, duration: int) -> None:
    """The draft's meta file names it and its length (Jianying lists drafts by it)."""
    meta_path = draft_folder / "draft_meta_info.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta.update(draft_name=name, draft_id=str(uuid.uuid4()).upper(), tm_duration=duration)
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
