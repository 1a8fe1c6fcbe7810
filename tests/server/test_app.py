"""The app end to end through HTTP: readiness, the seed-002 chain, a render, events, files, listing."""

import base64
import io
import json
import zipfile

import pytest
from PIL import Image

from pipelines import ffmpeg
from tests.conftest import ROOT
from tests.server.conftest import STORY, serve, small_render, wait_status

API = (ROOT.parent / "shared" / "API.md").read_text() if (ROOT.parent / "shared" / "API.md").is_file() else ""


@pytest.fixture(scope="module")
def client(registry, tmp_path_factory):
    with serve(tmp_path_factory.mktemp("app"), registry, narration_beside_clips="on") as client:
        yield client


@pytest.fixture(scope="module")
def rendered(client):
    answer = client.post("/render?wait=300", json=small_render(video={"fps": 8, "resolution": "320x180"}))
    assert answer.status_code == 200, answer.text
    task = answer.json()
    assert task["status"] == "done", task["error"]
    return task


def test_liveness_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}
    system = client.get("/system").json()
    # every role the server warms (the session's shared registry may hold music, loaded by another test)
    assert {m["role"] for m in system["models"]} >= {"llm", "t2i", "i2v", "tts"}
    assert system["speech_styles"] is False  # the tiny coqui VITS reads no emotion
    assert system["device"] == "cpu" and system["queue"]["max"] == 32
    assert not any(m["path"].startswith("/") for m in system["models"])  # no host path


def test_openapi_follows_the_contract(client):
    spec = client.get("/openapi.json").json()
    for path in ("/storyboard", "/frames", "/clips", "/narration", "/render"):
        post = spec["paths"][path]["post"]
        assert {"202", "400", "401", "409", "413", "429"} <= set(post["responses"]), path
        assert {p["name"] for p in post["parameters"]} >= {"wait", "idempotency-key"}
    for path in ("/tasks", "/tasks/{task_id}", "/tasks/{task_id}/cancel", "/tasks/{task_id}/events"):
        assert path in spec["paths"]
    assert {"/tasks/{task_id}/archive", "/data/{path}", "/healthz", "/readyz", "/system"} <= set(spec["paths"])
    names = set(spec["components"]["schemas"])
    assert {"StoryboardCreate", "FramesCreate", "ClipsCreate", "NarrationCreate", "RenderCreate"} <= names
    assert {"TaskPublic", "TaskCreatedPublic", "ErrorPublic"} <= names
    for path in ("/storyboard", "/frames", "/clips", "/narration", "/render", "/tasks/<id>/archive", "/ws"):
        assert not API or path in API  # every route we serve is in shared/API.md


def test_work_answers_202_with_location(client):
    answer = client.post("/storyboard", json={"story": STORY, "scenes": 2})
    assert answer.status_code == 202
    body = answer.json()
    assert body["kind"] == "storyboard" and body["status"] == "pending"
    assert answer.headers["location"] == f"/tasks/{body['task_id']}"
    task = wait_status(client, body["task_id"], "done")
    assert [s["name"] for s in task["stages"]] == ["storyboard"] and task["progress"] == 1.0
    assert task["timings"]["storyboard"] > 0 and task["started_at"] and task["finished_at"]


def test_the_seed_002_chain(client):
    board = client.post("/storyboard?wait=120", json={"story": STORY, "style": "watercolor", "scenes": 2}).json()
    assert board["status"] == "done", board["error"]
    scenes = board["result"]["storyboard"]
    assert [s["scene_id"] for s in scenes] == ["s1", "s2"] and board["result"]["style"] == "watercolor"

    # the storyboard's scenes go to /frames as they are
    frames = client.post(
        "/frames?wait=120", json={"storyboard": scenes, "image_style": {"resolution": "128x96", "seed": 7}}
    ).json()
    assert frames["status"] == "done", frames["error"]
    made = frames["result"]["frames"]
    assert [(f["scene_id"], f["seed"]) for f in made] == [("s1", 7), ("s2", 8)]
    image = Image.open(io.BytesIO(client.get(made[0]["frame"]).content))
    assert image.size == (128, 96)

    lines = [{"scene_id": s["scene_id"], "text": s["narration"]} for s in scenes]
    audio = client.post("/narration?wait=120", json={"lines": lines, "format": "mp3", "speed": 1.2}).json()
    assert audio["status"] == "done", audio["error"]
    assert all(a["audio"].endswith(".mp3") and a["duration"] > 0 for a in audio["result"]["audios"])

    items = [{"scene_id": f["scene_id"], "frame": f["frame"], "duration": 1.5, "motion": "kenburns"} for f in made]
    clips = client.post("/clips?wait=120", json={"frames": items, "video": {"fps": 8, "resolution": "320x180"}}).json()
    assert clips["status"] == "done", clips["error"]
    for clip in clips["result"]["clips"]:
        response = client.get(clip["clip"])
        assert response.status_code == 200 and response.headers["content-type"] == "video/mp4"
        assert clip["duration"] == 1.5


def test_clips_from_a_data_uri(client, tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (96, 64), "orange").save(buffer, format="PNG")
    uri = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    body = {"frames": [{"scene_id": "a", "frame": uri, "duration": 1, "motion": "static"}], "video": {"fps": 4}}
    task = client.post("/clips?wait=120", json={**body, "video": {"fps": 4, "resolution": "160x90"}}).json()
    assert task["status"] == "done", task["error"]
    path = tmp_path / "a.mp4"
    path.write_bytes(client.get(task["result"]["clips"][0]["clip"]).content)
    info = ffmpeg.probe(path)
    assert (info.width, info.height, info.frames) == (160, 90, 4)


def test_render_through_http_is_a_playable_mp4(client, rendered, tmp_path):
    result = rendered["result"]
    assert [s["name"] for s in rendered["stages"]] == ["storyboard", "frames", "narration", "clips", "compose"]
    assert set(rendered["timings"]) == {"storyboard", "frames", "narration", "clips", "compose"}
    video = tmp_path / "final.mp4"
    video.write_bytes(client.get(result["video"]).content)
    info = ffmpeg.probe(video)
    assert info.video_codec == "h264" and info.audio_codec == "aac" and (info.width, info.height) == (320, 180)
    assert info.duration == pytest.approx(result["duration"], abs=0.15)
    srt = client.get(result["subtitles"]).text
    assert srt.count(" --> ") == 3 and len(result["storyboard"]) == 2  # a cue per sentence
    assert client.get(result["subtitles_vtt"]).text.startswith("WEBVTT")


def test_range_requests(client, rendered):
    url = rendered["result"]["video"]
    whole = client.get(url).content
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-199/{len(whole)}"
    assert part.content == whole[100:200]
    tail = client.get(url, headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.content == whole[-50:]
    assert client.get(url, headers={"Range": f"bytes={len(whole) + 10}-"}).status_code == 416


def test_archive_holds_what_the_task_made(client, rendered):
    answer = client.get(f"/tasks/{rendered['task_id']}/archive")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(answer.content)).namelist()
    assert {"final.mp4", "final.srt", "storyboard.json", "frames/s1.png", "clips/s2.mp4", "audio/s1.wav"} <= set(names)
    assert not any(name.endswith(".key") or "/." in name or name.startswith(".") for name in names)


def stage_marks(events: list[dict], status: str) -> list[tuple[int, str]]:
    """(index, stage) of each stage event with `status`."""
    return [
        (i, e["data"]["stage"]) for i, e in enumerate(events) if e["event"] == "stage" and e["data"]["status"] == status
    ]


def test_events_replay_a_finished_task(client, rendered):
    text = client.get(f"/tasks/{rendered['task_id']}/events").text
    events = [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]
    kinds = [e["event"] for e in events]
    assert kinds[-1] == "done" and kinds.count("done") == 1
    started = [stage for _, stage in stage_marks(events, "running")]
    assert started == ["storyboard", "frames", "narration", "clips", "compose"]  # each once, though two overlap
    ended = stage_marks(events, "done")
    assert sorted(stage for _, stage in ended) == sorted(started)
    for done, stage in ended:  # no progress after its end (narration, running beside the clips, ends on its own)
        assert not any(e["event"] == "progress" and e["data"]["stage"] == stage for e in events[done:])
    assert set(rendered["timings"]) == set(started)
    ids = [e["id"] for e in events]
    assert ids == sorted(ids)


def test_events_stream_live_over_sse_and_websocket(client):
    with client.websocket_connect("/ws") as socket:
        task_id = client.post("/storyboard", json={"story": STORY, "scenes": 1}).json()["task_id"]
        with client.stream("GET", f"/tasks/{task_id}/events") as stream:
            lines = [line for line in stream.iter_lines() if line.startswith("event: ")]
        assert lines[-1] == "event: done"
        seen = []
        while not seen or seen[-1]["event"] != "done":
            message = socket.receive_json()
            if message["task_id"] == task_id:
                seen.append(message)
        assert seen[0]["event"] == "stage"


def test_listing_filters_and_pages(client):
    ids = [client.post("/storyboard", json={"story": STORY, "scenes": 1}).json()["task_id"] for _ in range(3)]
    for task_id in ids:
        wait_status(client, task_id, "done")
    first = client.get("/tasks", params={"kind": "storyboard", "limit": 2}).json()
    assert [t["task_id"] for t in first["tasks"]] == ids[::-1][:2]
    second = client.get("/tasks", params={"kind": "storyboard", "limit": 2, "cursor": first["next_cursor"]}).json()
    assert second["tasks"][0]["task_id"] == ids[0]
    assert all(t["kind"] == "render" for t in client.get("/tasks", params={"kind": "render"}).json()["tasks"])
    assert client.get("/tasks", params={"status": "running"}).json()["tasks"] == []
    bad = client.get("/tasks", params={"status": "sleeping"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "status"


def test_idempotency_key(client):
    headers = {"Idempotency-Key": "story-42"}
    first = client.post("/storyboard", json={"story": STORY, "scenes": 1}, headers=headers)
    again = client.post("/storyboard", json={"story": STORY, "scenes": 1}, headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.json()["task_id"] == again.json()["task_id"]
    other = client.post("/storyboard", json={"story": STORY, "scenes": 2}, headers=headers)
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_conflict"


def test_delete_removes_the_task_and_its_files(client, tmp_path):
    task = client.post("/storyboard?wait=60", json={"story": STORY, "scenes": 1}).json()
    folder = client.app.state.services.jobs.task_dir(task["task_id"])
    assert (folder / "storyboard.json").is_file()
    assert client.delete(f"/tasks/{task['task_id']}").status_code == 204
    assert not folder.exists()
    assert client.get(f"/tasks/{task['task_id']}").status_code == 404


def test_error_shape_names_the_field(client):
    answer = client.post(
        "/frames", json={"storyboard": [{"scene_id": "s1", "prompt": "x"}], "image_style": {"resolution": "100x100"}}
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == {
        "code": "invalid_request",
        "message": "width and height must be multiples of 8, at least 64",
        "field": "image_style.resolution",
        "reason": "invalid",
    }
    answer = client.post("/render", json={"story": "x", "options": {"video": {"fps": 0}}})
    assert answer.status_code == 400 and answer.json()["error"]["field"] == "options.video.fps"
    answer = client.post("/storyboard", json={"story": "x", "colour": "red"})
    assert answer.json()["error"] == {
        "code": "invalid_request",
        "message": "unknown field",
        "field": "colour",
        "reason": "unknown_field",
    }
    long = client.post("/storyboard", json={"story": "x" * 20_001}).json()["error"]  # a limit a page can word
    assert (long["field"], long["reason"], long["limit"]) == ("story", "too_long", 20_000)
    assert client.get("/tasks/nope").json()["error"]["code"] == "not_found"


def test_range_edge_cases_and_head(client, rendered):
    url = rendered["result"]["video"]
    size = len(client.get(url).content)
    ignored = client.get(url, headers={"Range": "bytes=9-2"})  # malformed: the whole file, as RFC 9110 allows
    assert ignored.status_code == 200 and len(ignored.content) == size
    assert client.get(url, headers={"Range": "pages=1-2"}).status_code == 200
    outside = client.get(url, headers={"Range": f"bytes={size}-"})
    assert outside.status_code == 416 and outside.json()["error"]["code"] == "range_not_satisfiable"
    assert outside.headers["content-range"] == f"bytes */{size}"
    head = client.head(url)
    assert head.status_code == 200 and int(head.headers["content-length"]) == size and not head.content


def test_empty_query_values_mean_no_filter(client):
    answer = client.get("/tasks?status=&kind=&limit=&cursor=")
    assert answer.status_code == 200 and answer.json()["tasks"]
