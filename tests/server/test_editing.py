"""Render from a storyboard over HTTP: uploaded pictures and voices used as they are, chaining, topics,
per-key artifacts."""

import io
import math
import subprocess

import numpy as np
import pytest
import soundfile
from PIL import Image

from pipelines import ffmpeg
from tests.server.conftest import STORY, serve, wait_status
from tests.server.helpers import local, upload

VIDEO = {"fps": 8, "resolution": "160x90", "motion": "static", "transition": "none"}
SMALL = {"image": {"resolution": "64x64", "seed": 2}, "video": VIDEO}


@pytest.fixture(scope="module")
def client(registry, tmp_path_factory):
    with serve(tmp_path_factory.mktemp("editing"), registry) as client:
        yield client


def decoded_audio(path, rate=48000) -> np.ndarray:
    args = [ffmpeg.binary(), "-v", "error", "-i", str(path), "-ac", "1", "-ar", str(rate), "-f", "f32le", "-"]
    return np.frombuffer(subprocess.run(args, capture_output=True, check=True).stdout, dtype=np.float32)


def first_picture(path, width: int, height: int) -> np.ndarray:
    args = [
        ffmpeg.binary(),
        "-v",
        "error",
        "-i",
        str(path),
        "-frames:v",
        "1",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-",
    ]
    raw = subprocess.run(args, capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3).astype(np.int16)


def two_tones(rate=22050) -> np.ndarray:
    t = np.arange(int(0.6 * rate)) / rate
    return np.concatenate([0.4 * np.sin(2 * math.pi * 440 * t), 0.4 * np.sin(2 * math.pi * 660 * t)]).astype(np.float32)


def wav_of(samples: np.ndarray, rate=22050) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, format="WAV")
    return buffer.getvalue()


def test_uploaded_picture_and_voice_are_what_the_video_shows_and_says(client):
    picture = np.zeros((90, 160, 3), dtype=np.uint8)
    picture[:, :80] = (220, 40, 40)
    picture[:, 80:] = (30, 60, 210)
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    frame = upload(client, buffer.getvalue()).json()["url"]
    voice = upload(client, wav_of(two_tones())).json()["url"]
    board = [{"scene_id": "own", "prompt": "", "narration": "Two tones.", "frame": frame, "audio": voice}]
    render = {"storyboard": board, "options": {**SMALL, "subtitles": False}}
    task = client.post("/render?wait=120", json=render).json()
    assert task["status"] == "done", task
    result = task["result"]
    shown = first_picture(local(client, result["clips"][0]["clip"]), 160, 90)
    assert np.abs(shown - picture.astype(np.int16)).mean() < 4
    said = decoded_audio(local(client, result["video"]))
    original = np.interp(np.arange(int(1.2 * 48000)) / 48000, np.arange(len(two_tones())) / 22050, two_tones())
    window = said[: len(original)]
    lags = range(-400, 401, 4)
    best = max(float(np.dot(np.roll(window, lag), original)) for lag in lags)
    assert best / (np.linalg.norm(window) * np.linalg.norm(original)) > 0.9


def test_a_storyboards_own_emotions_stay_on_its_projects_shots(client):
    board = [
        {"scene_id": "a", "prompt": "a lamp", "narration": "The lamp burned.", "emotion": "whispering, afraid"},
        {"scene_id": "b", "prompt": "a boat", "narration": "The boat came home."},
    ]
    task = client.post("/render?wait=120", json={"storyboard": board, "options": {**SMALL, "subtitles": False}}).json()
    assert task["status"] == "done", task
    assert [scene["emotion"] for scene in task["result"]["storyboard"]] == ["whispering, afraid", None]
    project = client.get(f"/projects/{task['result']['project_id']}").json()
    assert [shot["emotion"] for shot in project["shots"]] == ["whispering, afraid", None]  # never the LLM's


def test_chaining_each_stage_takes_the_last_ones_items_as_they_are(client):
    board = client.post("/storyboard?wait=60", json={"story": STORY, "scenes": 2}).json()
    assert board["status"] == "done", board
    scenes = board["result"]["storyboard"]
    assert all(scene["camera"] for scene in scenes)
    style = {"resolution": "64x64", "num_steps": 1}
    frames = client.post("/frames?wait=60", json={"storyboard": scenes, "image_style": style}).json()
    assert frames["status"] == "done", frames
    items = [{**item, "duration": 1.0, "motion": "kenburns"} for item in frames["result"]["frames"]]
    clips = client.post("/clips?wait=60", json={"frames": items, "video": {"fps": 8, "resolution": "160x90"}}).json()
    assert clips["status"] == "done", clips
    spoken = client.post("/narration?wait=60", json={"lines": scenes}).json()  # a scene's narration is its text
    assert spoken["status"] == "done", spoken
    seeded = [{**scene, "seed": item["seed"]} for scene, item in zip(scenes, frames["result"]["frames"], strict=True)]
    again = client.post("/frames?wait=60", json={"storyboard": seeded, "image_style": {**style, "seed": 99}}).json()
    for first, second in zip(frames["result"]["frames"], again["result"]["frames"], strict=True):
        assert first["seed"] == second["seed"]  # a frame's own seed draws it again
        assert local(client, first["frame"]).read_bytes() == local(client, second["frame"]).read_bytes()
    unknown = client.post("/clips", json={"frames": [{**items[0], "colour": "red"}]})
    assert unknown.status_code == 400 and unknown.json()["error"]["field"] == "frames[0].colour"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"story": STORY, "topic": {"topic": "foxes"}}, "topic"),
        ({}, "story"),
        ({"storyboard": [{"scene_id": "a", "narration": "x"}]}, "storyboard[0].prompt"),
        ({"storyboard": [{"scene_id": "a", "prompt": "p", "camera": "zoom"}]}, "storyboard[0].camera"),
        ({"storyboard": [{"scene_id": "a", "prompt": "p", "frame": "/data/nope/x.png"}]}, "storyboard[0].frame"),
        ({"storyboard": [{"scene_id": "a", "prompt": "p", "audio": "/data/../etc/passwd"}]}, "storyboard[0].audio"),
        ({"story": STORY, "options": {"music": {"volume": 3}}}, "options.music.volume"),
        ({"story": STORY, "options": {"music": {"track": "/data/x/y.mp3"}}}, "options.music.track"),
        ({"topic": {"topic": " "}}, "topic"),
    ],
)
def test_bad_render_requests_name_their_field(client, body, field):
    answer = client.post("/render", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["field"] == field


def test_a_topic_needs_an_llm(tiny_weights, tmp_path):
    with serve(tmp_path, llm_backend="none", i2v_backend="none") as plain:
        answer = plain.post("/storyboard", json={"topic": {"topic": "a fox and the moon"}})
        assert answer.status_code == 400 and answer.json()["error"]["field"] == "topic"
        assert "send a story" in answer.json()["error"]["message"]


def test_a_topic_is_written_then_storyboarded(client):
    task = client.post("/storyboard?wait=120", json={"topic": {"topic": "a lighthouse at night"}, "scenes": 2}).json()
    assert task["status"] == "done", task
    assert task["result"]["story"] and task["result"]["title"]


def test_two_keys_never_share_an_artifact(registry, tmp_path):
    render = {"story": STORY, "options": {**SMALL, "scene_count": 2}}
    with serve(tmp_path, registry, api_keys="k1,k2") as keyed:
        done = [
            wait_status(keyed, keyed.post("/render", json=render, headers=h).json()["task_id"], "done", **h)
            for h in ({"X-API-Key": "k1"}, {"X-API-Key": "k2"})
        ]
        owners = [p for p in (tmp_path / "artifacts").iterdir()]
        assert len(owners) == 2
        inodes = [{f.stat().st_ino for f in owner.rglob("*") if f.is_file()} for owner in owners]
        assert inodes[0] and inodes[1] and not inodes[0] & inodes[1]
        first, second = (local(keyed, task["result"]["frames"][0]["frame"]) for task in done)
        assert first.read_bytes() == second.read_bytes() and first.stat().st_ino != second.stat().st_ino
