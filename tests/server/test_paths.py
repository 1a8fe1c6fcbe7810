"""Paths: a `frame` must be an image of the caller's under the data root; /data/ serves task files only."""

import os

import pytest

from tests.server.conftest import serve


@pytest.fixture(scope="module")
def client(registry, tmp_path_factory):
    with serve(tmp_path_factory.mktemp("paths"), registry) as client:
        yield client


@pytest.fixture(scope="module")
def frame(client):
    body = {"storyboard": [{"scene_id": "s1", "prompt": "a lighthouse"}], "image_style": {"resolution": "64x64"}}
    task = client.post("/frames?wait=60", json=body).json()
    return task["result"]["frames"][0]["frame"]


def clip_with(client, frame: str):
    return client.post("/clips", json={"frames": [{"scene_id": "s1", "frame": frame, "duration": 1}]})


@pytest.mark.parametrize(
    "frame",
    [
        "../../etc/passwd",
        "/data/../../etc/passwd",
        "/data/%2e%2e/%2e%2e/etc/passwd",
        "/data/..%2f..%2fetc%2fpasswd",
        "/etc/passwd",
        "/data//etc/passwd",
        "/data/tasks.sqlite3",
        "/data/fr_0000/frames/s1.png",
        "/data/x\\..\\..\\etc\\passwd",
        "/data/a\x00b",
        "file:///etc/passwd",
        "http://example.com/a.png",
    ],
)
def test_frames_outside_the_callers_files_are_refused(client, frame):
    answer = clip_with(client, frame)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["field"] == "frames[0].frame"
    assert "/etc" not in answer.json()["error"]["message"]


def test_a_symlink_out_of_the_data_root_is_refused(client, frame, tmp_path):
    outside = tmp_path / "secret.png"
    outside.write_bytes((client.app.state.settings.data_dir / frame.removeprefix("/data/")).read_bytes())
    task_dir = client.app.state.settings.data_dir / frame.removeprefix("/data/").split("/")[0]
    os.symlink(outside, task_dir / "frames" / "escape.png")
    answer = clip_with(client, frame.replace("s1.png", "escape.png"))
    assert answer.status_code == 400 and answer.json()["error"]["field"] == "frames[0].frame"
    assert client.get(frame.replace("s1.png", "escape.png")).status_code == 404


def test_a_file_that_is_not_an_image_is_refused(client, frame):
    answer = clip_with(client, frame.replace("frames/s1.png", "frames/s1.png.key"))
    assert answer.status_code == 400
    bad_uri = clip_with(client, "data:image/png;base64,aGVsbG8=")
    assert bad_uri.status_code == 400 and bad_uri.json()["error"]["message"] == "the image cannot be decoded"
    assert clip_with(client, "data:text/html;base64,aGVsbG8=").status_code == 400
    assert clip_with(client, "data:image/png;base64,%%%").status_code == 400


def test_the_callers_own_frame_is_accepted(client, frame):
    assert clip_with(client, frame).status_code == 202


@pytest.mark.parametrize(
    "path",
    [
        "/data/../settings.py",
        "/data/%2e%2e/%2e%2e/etc/passwd",
        "/data/..%2f..%2fetc%2fpasswd",
        "/data/tasks.sqlite3",
        "/data//etc/passwd",
        "/data/nope/final.mp4",
        "/data/" + "a" * 10_000,
    ],
)
def test_data_route_is_confined(client, path):
    answer = client.get(path)
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"]["code"] == "not_found"


def test_data_route_hides_keys_and_partials(client, frame):
    assert client.get(frame).status_code == 200
    assert client.get(frame + ".key").status_code == 404
    assert client.get(frame.replace("s1.png", ".s1.part.png")).status_code == 404
