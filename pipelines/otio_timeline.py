"""A render as an editor's timeline (OpenTimelineIO), built from its manifest: V1 the shots' clips
with their transitions, A1 the narration (a clip per shot, each dialogue part a clip of its own),
A2 the music bed, and the subtitles as markers. Every time is a whole frame at the film's rate,
so the timeline lasts exactly as many frames as the film.

A transition sits on its cut point: the clip before it shows up to the middle of the frames the
two shots share in the film and the clip after it from there, each keeping the rest as the
handle the transition blends, so every frame is where the film has it. Also: reading a timeline
someone sends, with limits, before OpenTimelineIO parses it."""

import json
import stat
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import opentimelineio as otio

from pipelines.manifest import CueCut, Media, RenderManifest, ShotCut, cut_halves

KEY = "story2video"  # the metadata key every item we write carries
MAX_TIMELINE_BYTES = 8 * 1024 * 1024  # an edit decision list of a few hundred shots is far smaller
MAX_DEPTH = 64  # OTIO nests tracks, clips and metadata a few levels deep; deeper is not a timeline
BUNDLE_TIMELINE = "content.otio"  # the timeline inside an .otioz bundle (OTIO's file_bundle_utils)
MAX_BUNDLE_ENTRIES = 10_000


def at(frames: int, fps: int) -> otio.opentime.RationalTime:
    return otio.opentime.RationalTime(frames, fps)


def span(start: int, frames: int, fps: int) -> otio.opentime.TimeRange:
    return otio.opentime.TimeRange(at(start, fps), at(frames, fps))


def timeline_of(
    manifest: RenderManifest,
    url: Callable[[Media], str],
    *,
    name: str,
    about: dict,
    markers_on_clips: bool = False,
) -> otio.schema.Timeline:
    """`url(media)`: the media's target URL in the export; `about`: what every item's metadata names
    (the project and the render); `markers_on_clips`: cues on the V1 clip they start in (for
    formats that keep markers only on clips) instead of on the timeline."""
    fps = manifest.fps
    timeline = otio.schema.Timeline(name=name, global_start_time=at(0, fps), metadata={KEY: dict(about)})
    video = picture_track(manifest, url, about)
    timeline.tracks.append(video)
    for index, lane in enumerate(narration_lanes(manifest, url, about)):
        lane.name = "A1" if index == 0 else f"A1.{index + 1}"
        timeline.tracks.append(lane)
    if manifest.music is not None:
        timeline.tracks.append(music_track(manifest, url, about))
    for cue in manifest.cues:
        if markers_on_clips:
            clip, start = clip_at(video, cue.start, fps)
            clip.markers.append(cue_marker(cue, start, fps))
        else:
            timeline.tracks.markers.append(cue_marker(cue, cue.start, fps))
    return timeline


def reference(media: Media, url: Callable[[Media], str], fps: int) -> otio.schema.ExternalReference:
    return otio.schema.ExternalReference(target_url=url(media), available_range=span(0, media.frames, fps))


def picture_track(manifest: RenderManifest, url, about: dict) -> otio.schema.Track:
    fps = manifest.fps
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    for index, shot in enumerate(manifest.shots):
        first, end = manifest.visible(index)
        track.append(
            otio.schema.Clip(
                name=shot.shot_id,
                media_reference=reference(shot.clip, url, fps),
                source_range=span(first, end - first, fps),
                metadata={KEY: {**about, **shot_facts(shot, shot.clip), "transition": shot.transition}},
            )
        )
        if shot.overlap:
            before, after = cut_halves(shot.overlap)
            track.append(
                otio.schema.Transition(
                    name=shot.transition,
                    transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                    in_offset=at(before, fps),
                    out_offset=at(after, fps),
                    metadata={KEY: {"transition": shot.transition}},
                )
            )
    return track


def shot_facts(shot: ShotCut, media: Media) -> dict:
    return {"shot_id": shot.shot_id, "take_id": shot.take_id, "artifact": media.artifact}


def narration_lanes(manifest: RenderManifest, url, about: dict) -> list[otio.schema.Track]:
    """The narration on as few tracks as hold it: a line that runs over into the next shot's
    (a shot set shorter than its line) goes on a second track rather than being cut."""
    fps, lanes, ends = manifest.fps, [], []
    for shot in manifest.shots:
        if shot.narration is None:
            continue
        pieces = shot.parts or [None]
        for part in pieces:
            first, last = (part.start, part.end) if part else (0, shot.narration.frames)
            start = shot.narration_start + first
            last = min(last, first + manifest.frames - start)  # the film's sound ends with the film
            if last <= first:
                continue
            facts = {**about, **shot_facts(shot, shot.narration), "speaker": part.speaker if part else None}
            clip = otio.schema.Clip(
                name=f"{shot.shot_id} {part.speaker or 'narrator'}" if part else shot.shot_id,
                media_reference=reference(shot.narration, url, fps),
                source_range=span(first, last - first, fps),
                metadata={KEY: facts},
            )
            lane = next((i for i, end in enumerate(ends) if end <= start), None)
            if lane is None:
                lanes.append(otio.schema.Track(kind=otio.schema.TrackKind.Audio))
                ends.append(0)
                lane = len(lanes) - 1
            if start > ends[lane]:
                lanes[lane].append(otio.schema.Gap(source_range=span(0, start - ends[lane], fps)))
            lanes[lane].append(clip)
            ends[lane] = start + last - first
    return lanes


def music_track(manifest: RenderManifest, url, about: dict) -> otio.schema.Track:
    """The bed as the film plays it: the track looped to the film's end, with its level, fades and
    ducking in the metadata (editors apply those as they like)."""
    music, fps = manifest.music, manifest.fps
    track = otio.schema.Track(name="A2", kind=otio.schema.TrackKind.Audio)
    mix = music.model_dump(include={"volume", "fade_in", "fade_out", "duck"})
    cursor, loop = 0, 1
    while music.track.frames and cursor < manifest.frames:
        frames = min(music.track.frames, manifest.frames - cursor)
        track.append(
            otio.schema.Clip(
                name=f"music {loop}",  # each pass its own name: FCP 7 XML writes equal clips as one
                media_reference=reference(music.track, url, fps),
                source_range=span(0, frames, fps),
                metadata={KEY: {**about, "artifact": music.track.artifact, **mix}},
            )
        )
        cursor, loop = cursor + frames, loop + 1
    return track


def cue_marker(cue: CueCut, start: int, fps: int) -> otio.schema.Marker:
    text = " ".join(cue.lines)
    return otio.schema.Marker(
        name=text,
        marked_range=span(start, cue.end - cue.start, fps),
        color=otio.schema.MarkerColor.YELLOW,
        comment=text,
        metadata={KEY: {"subtitle": cue.lines}},
    )


def clip_at(track: otio.schema.Track, frame: int, fps: int) -> tuple[otio.schema.Clip, int]:
    """The clip showing the film's `frame`, and that frame in the clip's own (source) time."""
    cursor = 0
    clips = [item for item in track if isinstance(item, otio.schema.Clip)]
    for clip in clips:
        length = clip.source_range.duration.to_frames()
        if frame < cursor + length or clip is clips[-1]:
            return clip, clip.source_range.start_time.to_frames() + frame - cursor
        cursor += length
    raise ValueError("the track has no clips")


def read_timeline(text: str) -> otio.schema.Timeline:
    """A timeline someone sent, checked before OpenTimelineIO's parser sees it: plain JSON, not
    nested past MAX_DEPTH, an OTIO Timeline. ValueError says what is wrong."""
    if len(text.encode("utf-8")) > MAX_TIMELINE_BYTES:
        raise ValueError(f"the timeline is larger than {MAX_TIMELINE_BYTES // (1024 * 1024)} MiB")
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise ValueError("the timeline is not valid JSON") from None
    check_depth(data)
    if not isinstance(data, dict) or not str(data.get("OTIO_SCHEMA", "")).startswith("Timeline."):
        raise ValueError("not an OpenTimelineIO timeline (its OTIO_SCHEMA is not Timeline)")
    try:
        timeline = otio.adapters.read_from_string(text, "otio_json")
    except Exception as error:  # the parser's many error types: a damaged file is the sender's to fix
        raise ValueError(f"the timeline cannot be read: {str(error)[:200]}") from None
    if not isinstance(timeline, otio.schema.Timeline):
        raise ValueError("not an OpenTimelineIO timeline")
    return timeline


def check_depth(data) -> None:
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"the timeline nests deeper than {MAX_DEPTH} levels")
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        pending.extend((child, depth + 1) for child in children)


def bundle_timeline(path: Path) -> str:
    """The timeline inside an .otioz bundle, read without unpacking anything else: a bundle whose
    entries climb out of it, are absolute or are links (a link may point at itself or anywhere)
    is refused, and the timeline is read no further than MAX_TIMELINE_BYTES, whatever its header
    claims (a zip bomb stops there). ValueError says what is wrong."""
    try:
        with zipfile.ZipFile(path) as bundle:
            entries = bundle.infolist()
            if len(entries) > MAX_BUNDLE_ENTRIES:
                raise ValueError(f"the bundle holds more than {MAX_BUNDLE_ENTRIES} files")
            for entry in entries:
                name = PurePosixPath(entry.filename.replace("\\", "/"))
                if name.is_absolute() or ".." in name.parts or entry.filename[1:2] == ":":
                    raise ValueError(f"the bundle's entry {entry.filename[:200]!r} lies outside it")
                if stat.S_ISLNK(entry.external_attr >> 16):
                    raise ValueError(f"the bundle's entry {entry.filename[:200]!r} is a link")
            with bundle.open(BUNDLE_TIMELINE) as handle:
                data = handle.read(MAX_TIMELINE_BYTES + 1)
    except KeyError:
        raise ValueError(f"the bundle has no {BUNDLE_TIMELINE}") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, zlib.error):
        raise ValueError("the bundle is a damaged zip archive") from None
    if len(data) > MAX_TIMELINE_BYTES:
        raise ValueError(f"the bundle's timeline unpacks to more than {MAX_TIMELINE_BYTES // (1024 * 1024)} MiB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("the bundle's timeline is not UTF-8 text") from None
