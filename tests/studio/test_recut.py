"""An editor's re-cut planned and applied without HTTP: clips matched by metadata or media name,
order and trims applied as PATCHes, what is refused refused by name with the project unchanged."""

from pathlib import Path

import opentimelineio as otio
import pytest

from pipelines.manifest import Media, RenderManifest, ShotCut
from pipelines.otio_timeline import KEY, at, timeline_of
from pipelines.specs import InvalidInput
from studio.edits import take_for
from studio.project import Project, Shot
from studio.recut import apply_recut, merged, plan_recut

FPS = 8
LENGTHS = (24, 30, 20, 16)  # each clip's frames; 4-frame crossfades between them


def rendered_project() -> tuple[Project, dict[str, RenderManifest]]:
    """Four shots as a render left them (a take each, nothing stale) and that render's manifest."""
    shots = [Shot(shot_id=f"s{i}", prompt="p", narration="n", stale=[]) for i in range(1, 5)]
    project = Project(project_id="pr_1", owner="key", shots=shots)
    for shot in shots:
        take_for(project, shot)
    cuts, start = [], 0
    for index, (shot, frames) in enumerate(zip(shots, LENGTHS, strict=True)):
        overlap = 4 if index < 3 else 0
        clip = Media(
            path=Path(f"media/{shot.shot_id}.mp4"), name=f"{shot.shot_id}-abc.mp4", artifact="a", frames=frames
        )
        cuts.append(
            ShotCut(
                shot_id=shot.shot_id,
                take_id=shot.take_id,
                clip=clip,
                start=start,
                transition="crossfade",
                overlap=overlap,
            )
        )
        start += frames - overlap
    manifest = RenderManifest(fps=FPS, width=64, height=64, frames=start, shots=cuts)
    return project, {"rv_1": manifest}


def exported(manifests, project_id="pr_1") -> otio.schema.Timeline:
    about = {"project_id": project_id, "render_id": "rv_1"}
    return timeline_of(manifests["rv_1"], lambda media: f"media/{media.name}", name="cut", about=about)


def clips_of(timeline) -> list[otio.schema.Clip]:
    return timeline.video_tracks()[0].find_clips()


def swap(timeline, first: int, second: int) -> None:
    track = timeline.video_tracks()[0]
    clips = clips_of(timeline)
    a, b = track.index(clips[first]), track.index(clips[second])
    one, other = clips[first].deepcopy(), clips[second].deepcopy()
    track[a], track[b] = other, one


def trim(clip: otio.schema.Clip, frames: int) -> None:
    source = clip.source_range
    clip.source_range = otio.opentime.TimeRange(source.start_time, source.duration - at(frames, FPS))


def test_swap_and_trim_become_order_and_duration_with_exactly_those_clips_stale():
    project, manifests = rendered_project()
    timeline = exported(manifests)
    swap(timeline, 1, 3)  # s4, the last shot, moves into the middle: s2 becomes the last
    trim(clips_of(timeline)[0], 8)
    recut = plan_recut(project, timeline, manifests)
    applied = apply_recut(project, recut)
    assert [s.shot_id for s in project.shots] == ["s1", "s4", "s3", "s2"]
    # s1 showed 22 frames (24 less the 2 after its cut); 14 now, plus that handle: 16 frames
    assert project.shot("s1").duration == 16 / FPS
    assert {s.shot_id: s.stale for s in project.shots} == {"s1": ["clip"], "s4": ["clip"], "s3": [], "s2": ["clip"]}
    assert [(a.shot_id, a.field, a.before, a.after) for a in applied] == [
        ("s1", "duration", None, 2.0),
        ("s4", "index", 3, 1),
        ("s2", "index", 1, 3),
    ]
    assert recut.ignored == []


def test_clips_match_by_media_name_and_a_removed_clip_removes_nothing():
    project, manifests = rendered_project()
    timeline = exported(manifests)
    track = timeline.video_tracks()[0]
    for clip in clips_of(timeline):
        clip.metadata.pop(KEY)  # an editor that keeps no metadata: the media's name still tells
        clip.media_reference.target_url = "file:///C:/Users/ed/Movies/cut/media/" + clip.media_reference.target_url[6:]
    del track[track.index(clips_of(timeline)[2])]  # s3 cut out (the transitions around it stay)
    swap(timeline, 0, 1)
    recut = plan_recut(project, timeline, manifests)
    apply_recut(project, recut)
    assert [s.shot_id for s in project.shots] == ["s2", "s3", "s1", "s4"]  # s3 stays after the shot it followed
    assert [(i.shot_id, i.reason) for i in recut.ignored] == [("s3", "not on the timeline: the shot stays")]
    assert all(s.duration is None for s in project.shots)


def test_a_repeated_clip_and_a_nested_sequence_are_reported():
    project, manifests = rendered_project()
    timeline = exported(manifests)
    track = timeline.video_tracks()[0]
    track.append(clips_of(timeline)[0].deepcopy())
    track.append(otio.schema.Stack(name="compound"))
    recut = plan_recut(project, timeline, manifests)
    assert [(i.shot_id, i.clip) for i in recut.ignored] == [("s1", "s1"), (None, "compound")]
    assert recut.order == ["s1", "s2", "s3", "s4"] and recut.durations == {}


def media(url: str):
    def change(timeline):
        clip = clips_of(timeline)[1]
        clip.metadata.pop(KEY)
        clip.media_reference.target_url = url

    return change


def of_project(item, project_id: str) -> None:
    item.metadata[KEY] = {**item.metadata[KEY], "project_id": project_id}


def another_project(timeline):
    of_project(timeline, "pr_2")


def another_project_clip(timeline):
    timeline.metadata.pop(KEY)
    of_project(clips_of(timeline)[0], "pr_2")


def too_short(timeline):
    trim(clips_of(timeline)[0], 21)  # 1 frame shown, 2 of handle: 0.375 s


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (another_project, "another project's"),
        (another_project_clip, "'s1' is another project's"),
        (media("media/unknown.mp4"), "'unknown.mp4' is no file of this project's renders"),
        (media("media/../../../etc/s2-abc.mp4"), "climbs out of its folder"),
        (media("https://example.com/s2-abc.mp4"), "is not a file"),
        (media("cut.otio"), "is a timeline"),
        (media(""), "has no media file"),
        (too_short, "a shot lasts 0.5 to 30.0 s"),
    ],
    ids=["project", "clip-project", "unknown", "climbing", "url", "circular", "none", "too-short"],
)
def test_a_refused_timeline_names_itself_and_changes_nothing(change, message):
    project, manifests = rendered_project()
    before = project.model_dump()
    timeline = exported(manifests)
    change(timeline)
    with pytest.raises(InvalidInput, match=message) as refused:
        plan_recut(project, timeline, manifests)
    assert refused.value.field == "timeline"
    assert project.model_dump() == before


def test_no_video_track_is_refused():
    project, manifests = rendered_project()
    with pytest.raises(InvalidInput, match="no video track"):
        plan_recut(project, otio.schema.Timeline(name="empty"), manifests)


def test_left_out_shots_keep_their_place_after_the_one_they_followed():
    assert merged(["a", "b", "c", "d"], ["d", "a"]) == ["d", "a", "b", "c"]
    assert merged(["a", "b", "c"], ["c"]) == ["a", "b", "c"]
    assert merged(["a", "b", "c"], []) == ["a", "b", "c"]
