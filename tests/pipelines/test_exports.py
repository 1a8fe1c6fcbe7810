"""Each export read back by its own reader: the OTIO bundle with OpenTimelineIO, FCP 7 XML and FCPXML
through their adapters, the EDL's events, the Jianying draft through pyJianYingDraft: shots in
order, lengths to the frame, media inside."""

import zipfile
from xml.etree import ElementTree

import opentimelineio as otio
import pyJianYingDraft as draft
import pytest

from pipelines.exports import check_format, write_export
from pipelines.jianying import PLACEHOLDER, micros
from tests.pipelines.films import FPS, made_film

ABOUT = {"project_id": "pr_1", "render_id": "rv_1"}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("film")


@pytest.fixture(scope="module")
def film(folder):
    return made_film(folder)[1]


@pytest.fixture(scope="module")
def exported(film, folder, tmp_path_factory):
    """format -> the unpacked export's folder."""
    out, found = tmp_path_factory.mktemp("exports"), {}
    for fmt in ("otioz", "fcp7xml", "fcpxml", "edl", "jianying"):
        target = out / f"film.{fmt}"
        write_export(fmt, film, folder, target, name="film", about=ABOUT)
        with zipfile.ZipFile(target) as archive:
            archive.extractall(out / fmt)
        found[fmt] = out / fmt
    return found


def media_names(film) -> set[str]:
    return {media.name for media in film.media()}


def picture_lengths(track) -> list[int]:
    return [item.source_range.duration.to_frames() for item in track if isinstance(item, otio.schema.Clip)]


def expected_lengths(film) -> list[int]:
    return [end - first for first, end in (film.visible(i) for i in range(len(film.shots)))]


def first_timeline(read) -> otio.schema.Timeline:
    """FCPXML reads back as an event (a collection) holding the project's timeline."""
    if isinstance(read, otio.schema.Timeline):
        return read
    return read.find_children(descended_from_type=otio.schema.Timeline)[0]


def test_the_otio_bundle(film, exported):
    timeline = otio.adapters.read_from_file(str(exported["otioz"] / "content.otio"))
    video = timeline.video_tracks()[0]
    assert [clip.name for clip in video.find_clips()] == ["s1", "s2", "s3"]
    assert picture_lengths(video) == expected_lengths(film)
    assert timeline.duration().to_frames() == film.frames
    assert {path.name for path in (exported["otioz"] / "media").iterdir()} == media_names(film)
    for clip in timeline.find_clips():  # every reference is inside the bundle
        assert (exported["otioz"] / clip.media_reference.target_url).is_file()
    assert timeline.video_tracks()[0].find_clips()[0].metadata["story2video"]["project_id"] == "pr_1"


@pytest.mark.parametrize(
    ("fmt", "adapter", "suffix"), [("fcp7xml", "fcp_xml", ".xml"), ("fcpxml", "fcpx_xml", ".fcpxml")]
)
def test_final_cut_xml(film, exported, fmt, adapter, suffix):
    timeline = first_timeline(otio.adapters.read_from_file(str(exported[fmt] / f"film{suffix}"), adapter))
    video = timeline.video_tracks()[0]
    assert [clip.name for clip in video.find_clips()] == ["s1", "s2", "s3"]
    assert picture_lengths(video) == expected_lengths(film)
    assert timeline.duration().to_frames() == film.frames
    audio = [clip for track in timeline.audio_tracks() for clip in track.find_clips()]
    assert sum(clip.name.startswith("music") for clip in audio) == 4  # the 2 s bed looped under 6.6 s
    assert {path.name for path in (exported[fmt] / "media").iterdir()} == media_names(film)
    assert (exported[fmt] / "film.srt").read_text(encoding="utf-8").count("-->") == len(film.cues)
    markers = list(timeline.tracks.markers) + [m for clip in video.find_clips() for m in clip.markers]
    assert len(markers) == len(film.cues)


def test_fcpxml_keeps_its_project_and_clips_in_one_event(exported):
    root = ElementTree.parse(exported["fcpxml"] / "film.fcpxml").getroot()
    assert [child.tag for child in root] == ["resources", "event"]
    assert {child.tag for child in root.find("event")} == {"asset-clip", "project"}


def test_the_edl(film, exported):
    text = (exported["edl"] / "film.edl").read_text(encoding="utf-8")
    events = [line for line in text.splitlines() if line[:3].isdigit()]
    # a cut for s1, then for each dissolve the outgoing side's event and the incoming side's
    assert [line.split()[3] for line in events] == ["C", "C", "D", "C", "D"]
    timeline = otio.adapters.read_from_string(text, "cmx_3600", rate=FPS)
    assert timeline.duration().to_frames() == film.frames
    assert len(timeline.video_tracks()[0].find_clips()) == 3


def test_the_jianying_draft(film, exported):
    script = draft.DraftFolder(str(exported["jianying"])).load_template("film")
    tracks = {track.name: track for track in script.imported_tracks}
    assert list(tracks) == ["V1", "A1", "A1.2", "A2", "subtitles"]
    video = tracks["V1"].segments
    expected, at = [], 0
    for length in expected_lengths(film):
        expected.append((micros(at, FPS), micros(at + length, FPS) - micros(at, FPS)))
        at += length
    assert [(s.target_timerange.start, s.target_timerange.duration) for s in video] == expected
    assert script.duration == micros(film.frames, FPS)
    assert len(tracks["A1"].segments) + len(tracks["A1.2"].segments) == 5  # s1's three parts, s2, s3
    assert len(tracks["subtitles"].segments) == len(film.cues)
    content = script.content["materials"]
    assert all(m["path"].startswith(f"{PLACEHOLDER}/materials/") for m in content["videos"] + content["audios"])
    materials = {path.name for path in (exported["jianying"] / "film" / "materials").iterdir()}
    assert materials == media_names(film)
    assert [t["name"] for t in content["transitions"]] == ["叠化", "闪黑"]


@pytest.mark.parametrize("fmt", ["fcp7xml", "fcpxml", "edl"])
def test_timecode_formats_refuse_a_rate_they_cannot_count(fmt):
    with pytest.raises(ValueError, match="8 fps"):
        check_format(fmt, 8)
    check_format("otioz", 8)
    check_format("jianying", 8)
