"""Exports and imports over HTTP on the tiny weights: a real render as each editor's timeline, an
editor's re-cut brought back (order, a trim, exactly those clips stale, a render that makes only
those), and timelines that must be refused, the project unchanged."""

import hashlib
import io
import json
import zipfile

import client_projects  # scripts/ is on the path (tests/conftest.py)
import opentimelineio as otio
import pytest

from pipelines.otio_timeline import KEY, MAX_TIMELINE_BYTES
from tests.server.conftest import serve, wait_status
from tests.server.helpers import PROJECT_OPTIONS, local, rendered, upload

STORY = "The keeper climbed the stairs. He lit the lamp. A boat fought the waves. The sailors waved."
AT_24 = {**PROJECT_OPTIONS, "video": {**PROJECT_OPTIONS["video"], "fps": 24}}
FORMATS = ("otioz", "fcp7xml", "fcpxml", "edl", "jianying")


@pytest.fixture(scope="module")
def client(tiny_weights, tmp_path_factory):
    with serve(tmp_path_factory.mktemp("exports"), tts_backend="espeak") as client:
        yield client


def new_project(client, options=PROJECT_OPTIONS, headers=None) -> dict:
    """A project whose storyboard is written and which is rendered once."""
    headers = headers or {}
    answer = client.post("/projects", json={"story": STORY, "options": options, "title": "The keeper"}, headers=headers)
    assert answer.status_code == 201, answer.text
    pid = answer.json()["project_id"]
    wait_status(client, answer.json()["task_id"], "done", **headers)
    task = client.post(f"/projects/{pid}/render", json={}, headers=headers).json()["task_id"]
    assert wait_status(client, task, "done", "error", **headers)["status"] == "done"
    return client.get(f"/projects/{pid}", headers=headers).json()


@pytest.fixture(scope="module")
def film(client) -> dict:
    """A project rendered at 24 fps, a rate every format counts in."""
    return new_project(client, AT_24)


def export(client, project: dict, fmt: str, render: int = -1, **headers):
    render_id = project["renders"][render]["render_id"]
    return client.get(f"/projects/{project['project_id']}/renders/{render_id}/export?format={fmt}", headers=headers)


def bundled_timeline(data: bytes) -> otio.schema.Timeline:
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        return otio.adapters.read_from_string(bundle.read("content.otio").decode(), "otio_json")


def test_every_export_of_a_render_reads_back(client, film):
    shots, render = film["shots"], film["renders"][-1]
    films = {}
    for fmt in FORMATS:
        answer = export(client, film, fmt)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/zip"
        assert f"The-keeper-{render['render_id']}-{fmt}" in answer.headers["content-disposition"]
        films[fmt] = zipfile.ZipFile(io.BytesIO(answer.content))
    timeline = bundled_timeline(export(client, film, "otioz").content)
    clips = timeline.video_tracks()[0].find_clips()
    assert [clip.name for clip in clips] == [shot["shot_id"] for shot in shots]
    assert abs(timeline.duration().to_frames() - render["duration"] * 24) <= 1
    for clip, shot in zip(clips, shots, strict=True):
        facts = clip.metadata[KEY]
        assert (facts["shot_id"], facts["take_id"]) == (shot["shot_id"], shot["take_id"])
        assert facts["artifact"] == hashlib.sha256(local(client, shot["clip"]).read_bytes()).hexdigest()
        assert facts["project_id"] == film["project_id"] and facts["render_id"] == render["render_id"]
        assert films["otioz"].read(clip.media_reference.target_url) == local(client, shot["clip"]).read_bytes()
    xml = otio.adapters.read_from_string(films["fcp7xml"].read("The-keeper.xml").decode(), "fcp_xml")
    assert len(xml.video_tracks()[0].find_clips()) == len(shots) and xml.duration() == timeline.duration()
    event = otio.adapters.read_from_string(films["fcpxml"].read("The-keeper.fcpxml").decode(), "fcpx_xml")
    fcpx = event.find_children(descended_from_type=otio.schema.Timeline)[0]  # the project, in its event
    assert len(fcpx.video_tracks()[0].find_clips()) == len(shots) and fcpx.duration() == timeline.duration()
    edl = otio.adapters.read_from_string(films["edl"].read("The-keeper.edl").decode(), "cmx_3600", rate=24)
    assert edl.duration() == timeline.duration()
    draft = json.loads(films["jianying"].read("The-keeper/draft_content.json"))
    video = next(track for track in draft["tracks"] if track["type"] == "video")
    assert len(video["segments"]) == len(shots)
    assert draft["duration"] == round(timeline.duration().to_frames() * 1_000_000 / 24)
    names = {name.rsplit("/", 1)[-1] for name in films["jianying"].namelist() if "/materials/" in name}
    assert {name.rsplit("/", 1)[-1] for name in films["fcp7xml"].namelist() if name.startswith("media/")} == names


def test_an_export_is_built_once_and_kept(client, film):
    render_id = film["renders"][-1]["render_id"]
    kept = client.app.state.settings.data_dir / film["project_id"] / "renders" / render_id / "exports" / "edl.zip"
    first = export(client, film, "edl").content
    made = kept.stat()
    assert export(client, film, "edl").content == first == kept.read_bytes()
    assert (kept.stat().st_ino, kept.stat().st_mtime_ns) == (made.st_ino, made.st_mtime_ns)


def test_the_command_line_exports_and_an_unchanged_export_imports_as_no_change(client, film, tmp_path, capsys):
    pid, out = film["project_id"], tmp_path / "film.otioz"
    command = client_projects.parser().parse_args(["export", pid, "--format", "otioz", "--out", str(out)])
    assert client_projects.run(client, command) == 0 and zipfile.is_zipfile(out)
    assert client_projects.run(client, client_projects.parser().parse_args(["import", pid, str(out)])) == 0
    assert "->" not in capsys.readouterr().out  # nothing applied
    assert client.get(f"/projects/{pid}").json()["shots"] == film["shots"]


def test_exports_that_cannot_be_made_say_why(client, film):
    pid = film["project_id"]
    assert client.get(f"/projects/{pid}/renders/rv_000000000000/export?format=otioz").status_code == 404
    answer = export(client, film, "mov")
    assert answer.status_code == 400 and answer.json()["error"]["field"] == "format"
    folder = client.app.state.settings.data_dir / pid / "renders" / film["renders"][-1]["render_id"]
    (folder / "timeline.json").rename(folder / "kept.json")  # a render from before renders kept one
    try:
        answer = export(client, film, "fcpxml")
        assert answer.status_code == 409 and answer.json()["error"]["code"] == "no_timeline"
    finally:
        (folder / "kept.json").rename(folder / "timeline.json")


def test_an_editor_s_recut_comes_back_and_the_next_render_makes_only_what_changed(client):
    project = new_project(client)
    pid = project["project_id"]
    assert export(client, project, "fcp7xml").json()["error"]["field"] == "format"  # 8 fps: no timecode
    timeline = bundled_timeline(export(client, project, "otioz").content)
    track = timeline.video_tracks()[0]
    clips = track.find_clips()
    second, fourth = track.index(clips[1]), track.index(clips[3])
    track[second], track[fourth] = clips[3].deepcopy(), clips[1].deepcopy()  # s2 and s4 (the last) swap
    source = clips[0].source_range
    clips[0].source_range = otio.opentime.TimeRange(
        source.start_time, source.duration - otio.opentime.RationalTime(4, 8)
    )
    sent = upload(client, otio.adapters.write_to_string(timeline, "otio_json").encode(), "cut.otio")
    assert sent.status_code == 201 and sent.json()["kind"] == "timeline", sent.text
    answer = client.post(f"/projects/{pid}/import", json={"timeline": sent.json()["url"]})
    assert answer.status_code == 200, answer.text
    after = answer.json()["project"]
    assert [shot["shot_id"] for shot in after["shots"]] == ["s1", "s4", "s3", "s2"]
    shown = source.duration.to_frames() - 4  # s1 as the editor left it, with the handle after its cut
    handle = track[1].out_offset.to_frames()
    assert after["shots"][0]["duration"] == round((shown + handle) / 8, 3)
    assert {s["shot_id"]: s["stale"] for s in after["shots"]} == {
        "s1": ["clip"],
        "s4": ["clip"],
        "s3": [],
        "s2": ["clip"],
    }
    assert {(a["shot_id"], a["field"]) for a in answer.json()["applied"]} == {
        ("s1", "duration"),
        ("s4", "index"),
        ("s2", "index"),
    }
    assert answer.json()["ignored"] == [] and after["renders"] == project["renders"]  # nothing rendered
    again = rendered(client, pid)
    assert again["renders"][-1]["shots_made"] == ["s1", "s4", "s2"]


def zipped(entries: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"OTIO_SCHEMA": "Timeline.1", "tracks": {"OTIO_SCHEMA": "Stack.1", "children": 5}}', "cannot be read"),
        (b'{"OTIO_SCHEMA": "Timeline.1", "name": "' + b" " * MAX_TIMELINE_BYTES + b'"}', "larger than"),
        (zipped({"content.otio": b" " * (MAX_TIMELINE_BYTES + 10)}), "unpacks to more than"),
        (zipped({"content.otio": b"{}", "/etc/passwd": b"x"}), "lies outside"),
    ],
    ids=["damaged", "huge", "zip-bomb", "absolute-entry"],
)
def test_a_bad_timeline_upload_is_refused(client, data, message):
    answer = upload(client, data, "cut.otio")
    assert answer.status_code == 400 and answer.json()["error"]["field"] == "file", answer.text
    assert message in answer.json()["error"]["message"]


def test_a_refused_import_names_the_timeline_and_changes_nothing(client, film):
    pid = film["project_id"]
    before = client.get(f"/projects/{pid}").json()
    other = new_project(client)  # its timeline is not this project's
    timeline = bundled_timeline(export(client, other, "otioz").content)
    unknown = bundled_timeline(export(client, film, "otioz").content)
    clip = unknown.video_tracks()[0].find_clips()[1]
    clip.metadata.pop(KEY)
    clip.media_reference.target_url = "media/someone-else.mp4"
    document = upload(client, b"Once upon a time.", "story.txt").json()["url"]
    for sent, message in [
        (timeline, "another project's"),
        (unknown, "'someone-else.mp4' is no file of this project's renders"),
        (document, "must be an uploaded timeline"),
    ]:
        url = (
            sent if isinstance(sent, str) else upload(client, sent.to_json_string().encode(), "cut.otio").json()["url"]
        )
        answer = client.post(f"/projects/{pid}/import", json={"timeline": url})
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["field"] == "timeline" and message in answer.json()["error"]["message"]
    assert client.get(f"/projects/{pid}").json() == before


def test_exports_and_imports_belong_to_their_key(registry, tmp_path):
    alice, bob = {"X-API-Key": "a"}, {"X-API-Key": "b"}
    with serve(tmp_path, registry, api_keys="a,b") as client:
        project = new_project(client, headers=alice)
        assert export(client, project, "otioz", **alice).status_code == 200
        assert export(client, project, "otioz", **bob).status_code == 404
        cut = upload(client, export(client, project, "otioz", **alice).content, "cut.otioz", **bob).json()["url"]
        answer = client.post(f"/projects/{project['project_id']}/import", json={"timeline": cut}, headers=bob)
        assert answer.status_code == 404
