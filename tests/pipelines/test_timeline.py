"""A render's manifest and its OpenTimelineIO timeline, without a server: every frame where the film
has it, narration, dialogue parts, music and cues placed as the render placed them; and what a
timeline or bundle someone sends must be before it is parsed."""

import json
import math
import stat
import zipfile

import opentimelineio as otio
import pytest

from pipelines.compose import frame_plan
from pipelines.manifest import timed_parts
from pipelines.otio_timeline import MAX_DEPTH, MAX_TIMELINE_BYTES, bundle_timeline, read_timeline, timeline_of
from pipelines.specs import Part
from tests.pipelines.films import FPS, SPEECH_SECONDS, TRANSITION, made_film


@pytest.fixture(scope="module")
def film(tmp_path_factory):
    return made_film(tmp_path_factory.mktemp("film"))


def timeline(manifest, **options):
    return timeline_of(
        manifest, lambda media: f"media/{media.name}", name="film", about={"render_id": "rv_1"}, **options
    )


def test_the_picture_track_shows_every_frame_where_the_film_has_it(film):
    scenes, manifest = film
    _, frames, tails, total = frame_plan(scenes, TRANSITION, FPS)
    assert manifest.frames == total and tails[:2] == [11, 11]
    made = timeline(manifest)
    video = made.video_tracks()[0]
    assert made.duration() == otio.opentime.RationalTime(total, FPS)
    clips = [item for item in video if isinstance(item, otio.schema.Clip)]
    assert [c.name for c in clips] == ["s1", "s2", "s3"]
    for clip, shot, length in zip(clips, manifest.shots, frames, strict=True):
        placed = video.range_of_child(clip).start_time.to_frames()
        # the film's frame p shows clip frame p - start: so does the track, on either side of a cut
        assert placed - clip.source_range.start_time.to_frames() == shot.start
        assert clip.media_reference.available_range.duration.to_frames() == length
        assert clip.metadata["story2video"]["shot_id"] == shot.shot_id
        assert clip.metadata["story2video"]["artifact"] == shot.clip.artifact
        assert clip.metadata["story2video"]["render_id"] == "rv_1"
    transitions = [item for item in video if isinstance(item, otio.schema.Transition)]
    assert [(t.in_offset.to_frames(), t.out_offset.to_frames()) for t in transitions] == [(5, 6), (5, 6)]
    assert [t.name for t in transitions] == ["crossfade", "fadeblack"]


def test_narration_and_its_dialogue_parts_play_where_the_film_plays_them(film):
    _, manifest = film
    lanes = [track for track in timeline(manifest).audio_tracks() if track.name.startswith("A1")]
    assert [lane.name for lane in lanes] == ["A1", "A1.2"]  # s2's line runs into s3's: a second lane
    placed = [
        (clip.name, lane.range_of_child(clip).start_time.to_frames(), clip.source_range)
        for lane in lanes
        for clip in lane
        if isinstance(clip, otio.schema.Clip)
    ]
    s1 = [(start, source) for name, start, source in placed if name.startswith("s1")]
    assert [name for name, _, _ in placed if name.startswith("s1")] == ["s1 narrator", "s1 Mara", "s1 narrator"]
    assert [start for start, _ in s1] == [0, round(0.75 * FPS), round(1.1 * FPS)]
    assert all(start == source.start_time.to_frames() for start, source in s1)  # s1's line starts the film
    assert s1[-1][0] + s1[-1][1].duration.to_frames() == round(SPEECH_SECONDS[0] * FPS)  # the parts tile the line
    for shot in manifest.shots[1:]:
        (start, source), *_ = [(start, source) for name, start, source in placed if name == shot.shot_id]
        assert start == shot.narration_start == shot.start
        assert source.duration.to_frames() == round(SPEECH_SECONDS[manifest.shots.index(shot)] * FPS)


def test_the_music_bed_loops_to_the_film_s_end_with_its_mix(film):
    _, manifest = film
    music = next(track for track in timeline(manifest).audio_tracks() if track.name == "A2")
    assert sum(clip.source_range.duration.to_frames() for clip in music) == manifest.frames
    assert len(music) == math.ceil(manifest.frames / (2 * FPS))
    facts = music[0].metadata["story2video"]
    assert (facts["volume"], facts["fade_in"], facts["fade_out"], facts["duck"]) == (0.3, 1.0, 2.0, True)


def test_cues_are_markers_on_the_timeline_or_on_the_clip_they_start_in(film):
    _, manifest = film
    markers = timeline(manifest).tracks.markers
    assert [(m.marked_range.start_time.to_frames(), m.name) for m in markers] == [
        (round(0.1 * FPS), "The fox ran."),
        (round(5.0 * FPS), "Line one, two lines"),
    ]
    video = timeline(manifest, markers_on_clips=True).video_tracks()[0]
    found = []
    for clip in video.find_clips():
        offset = video.range_of_child(clip).start_time.to_frames() - clip.source_range.start_time.to_frames()
        found += [marker.marked_range.start_time.to_frames() + offset for marker in clip.markers]
    assert found == [round(0.1 * FPS), round(5.0 * FPS)]


def test_parts_without_timings_are_one_clip():
    parts = [Part(text="a "), Part(text="“b”", speaker="Mara")]
    assert timed_parts("a “b”", parts, [], 2.0, FPS) == []
    assert timed_parts("a “b”", parts, [(0.0, 1.0, "not in the text")], 2.0, FPS) == []


def otio_json(**changes) -> str:
    return json.dumps({"OTIO_SCHEMA": "Timeline.1", "name": "x", "tracks": None, **changes})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "nests deeper"),
        ("[" * 100_000 + "]" * 100_000, "not valid JSON"),  # past Python's own recursion limit
        (json.dumps({"OTIO_SCHEMA": "Clip.2", "name": "x"}), "not an OpenTimelineIO timeline"),
        (otio_json(tracks={"OTIO_SCHEMA": "Stack.1", "children": 5}), "cannot be read"),
        (" " * (MAX_TIMELINE_BYTES + 1), "larger than"),
    ],
    ids=["not-json", "too-deep", "deeper-than-python", "a-clip", "damaged", "huge"],
)
def test_a_timeline_is_checked_before_it_is_parsed(text, message):
    with pytest.raises(ValueError, match=message):
        read_timeline(text)


def bundle(tmp_path, entries: dict, links: tuple[str, ...] = ()):
    path = tmp_path / "cut.otioz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, name)
    return path


def test_a_bundle_gives_its_timeline_and_nothing_else(tmp_path):
    text = otio.adapters.write_to_string(otio.schema.Timeline(name="cut"), "otio_json")
    assert bundle_timeline(bundle(tmp_path, {"content.otio": text, "media/a.mp4": b"x"})) == text


@pytest.mark.parametrize(
    ("entries", "links", "message"),
    [
        ({"content.otio": b"\0" * (MAX_TIMELINE_BYTES * 4)}, (), "unpacks to more than"),  # a zip bomb
        ({"content.otio": "{}", "/etc/cron.d/x": "x"}, (), "lies outside it"),
        ({"content.otio": "{}", "media/../../x.mp4": "x"}, (), "lies outside it"),
        ({"content.otio": "{}"}, ("media/loop.mp4",), "is a link"),
        ({"media/a.mp4": "x"}, (), "has no content.otio"),
    ],
    ids=["zip-bomb", "absolute", "climbing", "link", "no-timeline"],
)
def test_a_hostile_bundle_is_refused(tmp_path, entries, links, message):
    with pytest.raises(ValueError, match=message):
        bundle_timeline(bundle(tmp_path, entries, links))


def test_a_damaged_bundle_is_refused(tmp_path):
    path = tmp_path / "cut.otioz"
    path.write_bytes(b"PK\x03\x04" + bytes(200))
    with pytest.raises(ValueError, match="damaged"):
        bundle_timeline(path)
