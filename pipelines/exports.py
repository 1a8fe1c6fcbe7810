"""A render's timeline in each editor's format, written to one file on disk: OpenTimelineIO's own
bundle, a zip of a Final Cut 7 XML (Premiere, Resolve), an FCPXML (Final Cut Pro) or a CMX 3600
EDL with the media under relative paths and the subtitles as an .srt (every one of those editors
imports captions from it), or a Jianying draft (`pipelines.jianying`). The media are copied from
their files into the archive: nothing is held whole in memory."""

import zipfile
from pathlib import Path
from xml.etree import ElementTree

import opentimelineio as otio

from pipelines.jianying import write_draft
from pipelines.manifest import Media, RenderManifest
from pipelines.otio_timeline import timeline_of
from pipelines.subtitles import Cue, srt

FORMATS = ("otioz", "fcp7xml", "fcpxml", "edl", "jianying")
SUFFIXES = {"otioz": ".otioz", "fcp7xml": ".zip", "fcpxml": ".zip", "edl": ".zip", "jianying": ".zip"}
TIMELINE_FILES = {  # format -> the OpenTimelineIO adapter that writes it, and the timeline file's suffix
    "fcp7xml": ("fcp_xml", ".xml"),
    "fcpxml": ("fcpx_xml", ".fcpxml"),
    "edl": ("cmx_3600", ".edl"),
}
MEDIA = "media"  # the media's folder in every archive, beside the timeline
TIMECODED = ("fcp7xml", "fcpxml", "edl")  # formats that count in timecode: only its rates are frame-exact


def check_format(fmt: str, fps: int) -> None:
    """ValueError when `fmt` cannot hold a film at `fps` frame for frame."""
    if fmt in TIMECODED and not otio.opentime.RationalTime.is_valid_timecode_rate(fps):
        rates = ", ".join(str(r) for r in range(1, 61) if otio.opentime.RationalTime.is_valid_timecode_rate(r))
        raise ValueError(f"{fmt} counts in timecode, at {rates} fps; this render is at {fps} fps")


def write_export(fmt: str, manifest: RenderManifest, folder: Path, target: Path, *, name: str, about: dict) -> None:
    """Write the render as `fmt` to `target`. `folder`: the render's folder (the manifest's media
    paths are relative to it, each file named by its media's `name`, as `studio.exports` keeps
    them); `name`: the timeline's and its files' name; `about`: what every item's `story2video`
    metadata names besides its shot (the project and the render)."""
    check_format(fmt, manifest.fps)
    if fmt == "otioz":
        timeline = timeline_of(manifest, lambda media: file_url(folder / media.path), name=name, about=about)
        otio.adapters.write_to_file(timeline, str(target), adapter_name="otioz")
    elif fmt == "jianying":
        timeline = timeline_of(manifest, lambda media: media.name, name=name, about=about)
        write_draft(timeline, manifest, folder, target, name=name)
    else:
        write_archive(fmt, manifest, folder, target, name=name, about=about)


def file_url(path: Path) -> str:
    return otio.url_utils.url_from_filepath(str(path.resolve()))


def write_archive(fmt: str, manifest: RenderManifest, folder: Path, target: Path, *, name: str, about: dict) -> None:
    adapter, suffix = TIMELINE_FILES[fmt]
    # FCP 7 XML keeps markers on the sequence; FCPXML and EDL only on clips.
    timeline = timeline_of(
        manifest, lambda media: f"{MEDIA}/{media.name}", name=name, about=about, markers_on_clips=fmt != "fcp7xml"
    )
    if fmt == "edl":  # an EDL is one picture track; the sound comes as files beside it
        picture = otio.schema.Timeline(name=name, global_start_time=timeline.global_start_time)
        picture.tracks.append(timeline.video_tracks()[0].deepcopy())
        text = otio.adapters.write_to_string(picture, adapter, rate=manifest.fps)
    elif fmt == "fcpxml":
        text = in_event(otio.adapters.write_to_string(timeline, adapter), name)
    else:
        text = otio.adapters.write_to_string(timeline, adapter)
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr(f"{name}{suffix}", text, compress_type=zipfile.ZIP_DEFLATED)
        if manifest.cues:
            archive.writestr(f"{name}.srt", subtitles(manifest), compress_type=zipfile.ZIP_DEFLATED)
        for media in distinct(manifest.media()):
            archive.write(folder / media.path, f"{MEDIA}/{media.name}", compress_type=zipfile.ZIP_STORED)


def in_event(text: str, name: str) -> str:
    """FCPXML's root holds a project or clips, not both; the adapter writes both for one timeline,
    so they go into one event, which holds either."""
    root = ElementTree.fromstring(text)
    event = ElementTree.Element("event", {"name": name})
    for child in [child for child in root if child.tag not in ("import-options", "resources")]:
        root.remove(child)
        event.append(child)
    root.append(event)
    ElementTree.indent(root, "    ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n' + ElementTree.tostring(root, "unicode") + "\n"


def subtitles(manifest: RenderManifest) -> str:
    fps = manifest.fps
    return srt([Cue(cue.start / fps, cue.end / fps, cue.lines) for cue in manifest.cues])


def distinct(media: list[Media]) -> list[Media]:
    """Each file once (two shots may use the same clip, a bed is one track)."""
    return list({item.name: item for item in media}.values())
