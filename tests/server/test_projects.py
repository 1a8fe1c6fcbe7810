"""Projects on the tiny weights: the seed-003 flow (create, read shots, edit one, regenerate it, compile),
takes, insert/delete/move, pause and resume, per-key scoping."""

import time

import pytest

from pipelines import ffmpeg
from tests.conftest import subtitle_streams
from tests.server.conftest import serve, wait_status
from tests.server.helpers import PROJECT_OPTIONS, files_of, local, rendered

STORY = (
    "The keeper climbed the stairs at dusk. He lit the great lamp. A small boat fought the waves. "
    "The light found the boat. The sailors waved at the tower."
)
LONG_LINE = (
    "He lit the great lamp, and it burned all night long over the dark and restless sea, "
    "while the wind howled around the tower and the rain beat against the old glass."
)


@pytest.fixture(scope="module")
def client(tiny_weights, tmp_path_factory):
    # espeak-ng: its speech lasts as long as the text, so a longer line makes a longer film
    with serve(tmp_path_factory.mktemp("projects"), tts_backend="espeak") as client:
        yield client


def created_project(client, **body) -> dict:
    answer = client.post("/projects", json={"story": STORY, "options": PROJECT_OPTIONS, **body})
    assert answer.status_code == 201, answer.text
    assert answer.headers["location"] == f"/projects/{answer.json()['project_id']}"
    project = answer.json()
    wait_status(client, project["task_id"], "done")
    return client.get(f"/projects/{project['project_id']}").json()


def test_the_seed_003_flow(client):
    project = created_project(client, title="The keeper")
    assert project["status"] == "ready" and len(project["shots"]) == 4
    assert all(shot["stale"] == ["keyframe", "narration", "clip"] for shot in project["shots"])
    first = rendered(client, project["project_id"])
    assert first["status"] == "rendered" and len(first["renders"]) == 1
    assert sorted(first["renders"][0]["shots_made"]) == ["s1", "s2", "s3", "s4"]
    assert all(shot["stale"] == [] and shot["clip"] for shot in first["shots"])
    assert first["contact_sheet"] and client.get(first["contact_sheet"]).status_code == 200
    before = files_of(client, first)

    shot = client.patch(
        f"/projects/{project['project_id']}/shots/s2",
        json={"narration": LONG_LINE, "prompt": "a lamp"},
    ).json()
    assert shot["stale"] == ["keyframe", "narration", "clip"]
    new_camera = "orbit" if first["shots"][2]["camera"] != "orbit" else "tilt_down"
    camera = client.patch(f"/projects/{project['project_id']}/shots/s3", json={"camera": new_camera}).json()
    assert camera["stale"] == ["clip"]
    regenerate = client.post(f"/projects/{project['project_id']}/shots/s2/regenerate", json={"what": ["keyframe"]})
    assert regenerate.status_code == 202
    wait_status(client, regenerate.json()["task_id"], "done")
    after_regenerate = client.get(f"/projects/{project['project_id']}").json()["shots"][1]
    assert len(after_regenerate["takes"]) == 2 and after_regenerate["stale"] == ["clip"]  # its new line spoken too

    second = rendered(client, project["project_id"])
    assert len(second["renders"]) == 2 and sorted(second["renders"][1]["shots_made"]) == ["s2", "s3"]
    after = files_of(client, second)
    assert after["s1"] == before["s1"] and after["s4"] == before["s4"]  # byte-identical elsewhere
    assert after["s3"]["keyframe"] == before["s3"]["keyframe"] and after["s3"]["clip"] != before["s3"]["clip"]
    assert all(after["s2"][what] != before["s2"][what] for what in ("keyframe", "audio", "clip"))
    durations = [ffmpeg.probe(local(client, r["video"])).duration for r in second["renders"]]
    assert durations[1] > durations[0] + 1.0  # the longer narration makes the film longer
    assert all(client.get(r["video"]).status_code == 200 for r in second["renders"])  # the first stays playable


def test_take_select_brings_back_the_old_keyframe_without_a_model(client):
    project = created_project(client)
    pid = project["project_id"]
    first = rendered(client, pid, until="keyframes")["shots"][0]
    task = client.post(f"/projects/{pid}/shots/s1/regenerate", json={"what": ["keyframe"], "seed": 77}).json()
    wait_status(client, task["task_id"], "done")
    regenerated = client.get(f"/projects/{pid}").json()["shots"][0]
    assert regenerated["seed"] == 77 and regenerated["keyframe"] != first["keyframe"]
    started = time.monotonic()
    old = client.post(f"/projects/{pid}/shots/s1/takes/{first['take_id']}/select")
    assert old.status_code == 200 and time.monotonic() - started < 1.0
    assert old.json()["keyframe"] == first["keyframe"] and old.json()["seed"] == first["seed"]
    assert local(client, old.json()["keyframe"]).read_bytes() == local(client, first["keyframe"]).read_bytes()
    assert client.post(f"/projects/{pid}/shots/s1/takes/tk_nope/select").status_code == 404


def test_insert_delete_and_move_shots_and_the_next_render_follows(client):
    project = created_project(client)
    pid = project["project_id"]
    rendered(client, pid)
    inserted = client.post(f"/projects/{pid}/shots", json={"after": "s1", "prompt": "gulls", "narration": "Gulls."})
    assert inserted.status_code == 201 and inserted.json()["index"] == 1
    new_id = inserted.json()["shot_id"]
    assert client.delete(f"/projects/{pid}/shots/s3").status_code == 204
    moved = client.patch(f"/projects/{pid}/shots/s4", json={"index": 0}).json()
    assert moved["index"] == 0
    final = rendered(client, pid)
    assert [s["shot_id"] for s in final["shots"]] == ["s4", "s1", new_id, "s2"]
    assert new_id in final["renders"][-1]["shots_made"]
    video = ffmpeg.probe(local(client, final["renders"][-1]["video"]))
    clips = sum(ffmpeg.probe(local(client, s["clip"])).duration for s in final["shots"])
    assert video.duration == pytest.approx(clips - 3 * 0.5, abs=0.3)


def test_pause_and_resume_a_project_render(registry, tmp_path):
    from tests.server.conftest import GatedRegistry

    gated = GatedRegistry(registry.settings)
    with serve(tmp_path, gated) as client:
        project = created_project(client)
        pid = project["project_id"]
        gate = gated.close_gate()
        task_id = client.post(f"/projects/{pid}/render", json={}).json()["task_id"]
        assert gate.entered.wait(30)
        assert client.post(f"/tasks/{task_id}/pause").status_code == 200
        gate.opened.set()  # the first batch finishes; the task stops before the next shot
        paused = wait_status(client, task_id, "paused")
        assert client.get(f"/projects/{pid}").json()["status"] == "paused"
        kept = {p: p.stat().st_ino for p in (tmp_path / "artifacts").rglob("*.png")}
        assert kept  # the first batch of keyframes was finished and kept
        assert client.get("/system").json()["queue"]["pending"] == 0
        edited = client.patch(f"/projects/{pid}/shots/s1", json={"camera": "tilt_up", "title": "edited"})
        assert edited.status_code == 200  # a paused render lets the shots be edited
        assert client.post(f"/tasks/{task_id}/resume").status_code == 200
        done = wait_status(client, task_id, "done", "error")
        assert done["status"] == "done" and paused["status"] == "paused"
        project = client.get(f"/projects/{pid}").json()
        assert project["status"] == "rendered" and project["shots"][0]["camera"] == "tilt_up"
        assert all(p.stat().st_ino == inode for p, inode in kept.items())  # nothing made before the pause was remade
        assert client.post(f"/tasks/{task_id}/resume").status_code == 409


def test_projects_belong_to_their_key(registry, tmp_path):
    alice, bob = {"X-API-Key": "a"}, {"X-API-Key": "b"}
    with serve(tmp_path, registry, api_keys="a,b") as client:
        project = client.post("/projects", json={"story": STORY, "options": PROJECT_OPTIONS}, headers=alice).json()
        pid = project["project_id"]
        assert client.get(f"/projects/{pid}", headers=bob).status_code == 404
        assert client.patch(f"/projects/{pid}/shots/s1", json={"camera": "orbit"}, headers=bob).status_code == 404
        assert client.get("/projects", headers=bob).json()["projects"] == []
        assert [p["project_id"] for p in client.get("/projects", headers=alice).json()["projects"]] == [pid]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"story": STORY, "topic": {"topic": "x"}}, "topic"),
        ({"document": "/data/uploads/up_0000000000000000.txt"}, "document"),
        ({"story": "   "}, "story"),
        ({"story": STORY, "options": {"video": {"fps": 0}}}, "options.video.fps"),
        ({"story": STORY, "options": {"subtitles": "hard"}}, "options.subtitles"),
    ],
)
def test_bad_projects_name_their_field(client, body, field):
    answer = client.post("/projects", json=body)
    assert answer.status_code == 400 and answer.json()["error"]["field"] == field, answer.text


def test_a_one_shot_render_is_a_project_too(client):
    render = {"story": STORY, "options": {**PROJECT_OPTIONS, "scene_count": 2}}
    task = client.post("/render?wait=120", json=render).json()
    assert task["status"] == "done", task
    project = client.get(f"/projects/{task['result']['project_id']}").json()
    assert project["status"] == "rendered" and len(project["shots"]) == 2 and len(project["renders"]) == 1
    assert all(shot["keyframe"] and shot["clip"] and not shot["stale"] for shot in project["shots"])
    camera = "orbit" if project["shots"][0]["camera"] != "orbit" else "tilt_down"
    edited = client.patch(f"/projects/{project['project_id']}/shots/s1", json={"camera": camera})
    assert edited.json()["stale"] == ["clip"]
    again = rendered(client, project["project_id"])
    assert again["renders"][-1]["shots_made"] == ["s1"]


def test_edits_that_are_refused_change_nothing(client):
    project = created_project(client)
    pid = project["project_id"]
    bad_move = client.patch(f"/projects/{pid}/shots/s1", json={"prompt": "changed", "index": 99})
    assert bad_move.status_code == 400 and bad_move.json()["error"]["field"] == "index"
    assert client.get(f"/projects/{pid}").json()["shots"][0]["prompt"] == project["shots"][0]["prompt"]
    seeded = client.post(f"/projects/{pid}/shots", json={"prompt": "gulls", "narration": "Gulls.", "seed": 5})
    assert seeded.status_code == 201 and seeded.json()["seed"] == 5
    music = {"options": {**PROJECT_OPTIONS, "music": {"track": "/data/uploads/up_0000000000000000.wav"}}}
    refused = client.patch(f"/projects/{pid}", json=music)
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "options.music.track"


def test_regenerating_a_keyframe_keeps_the_shot_s_narration(client):
    project = created_project(client)
    pid = project["project_id"]
    before = rendered(client, pid)["shots"][0]
    task = client.post(f"/projects/{pid}/shots/s1/regenerate", json={"what": ["keyframe"]}).json()
    wait_status(client, task["task_id"], "done")
    after = client.get(f"/projects/{pid}").json()["shots"][0]
    assert after["keyframe"] != before["keyframe"] and after["audio"] and after["stale"] == ["clip"]
    assert local(client, after["audio"]).read_bytes() == local(client, before["audio"]).read_bytes()


def test_a_project_s_subtitles_are_a_stream_and_changing_them_makes_no_shot_again(client):
    project = created_project(client)
    pid = project["project_id"]
    assert project["options"]["subtitles"] == "soft"  # the default of a project (/render's is true: burned in)
    soft = rendered(client, pid)["renders"][-1]
    assert subtitle_streams(local(client, soft["video"])) == [("eng", "mov_text")]
    assert client.get(soft["subtitles_vtt"]).text.startswith("WEBVTT")  # the player's track
    changed = client.patch(f"/projects/{pid}", json={"options": {**PROJECT_OPTIONS, "subtitles": "burn"}}).json()
    assert changed["options"]["subtitles"] == "burn" and all(shot["stale"] == [] for shot in changed["shots"])
    burned = rendered(client, pid)["renders"][-1]
    assert burned["shots_made"] == [] and subtitle_streams(local(client, burned["video"])) == []
