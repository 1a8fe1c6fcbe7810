"""`python -m server` as a user runs it: killed with -9 mid-render, restarted, nothing finished is lost."""

import os
import signal
import time
from pathlib import Path

import pytest

from tests.server.conftest import STORY
from tests.server.helpers import Server, server_env, slow_render_in_clips, wait_for_clips


def made(data_dir: str) -> dict[str, set[int]]:
    """The artifact store's files by kind, as inodes: a remade artifact is a new inode."""
    found: dict[str, set[int]] = {}
    for path in Path(data_dir, "artifacts").rglob("*.*"):
        if not path.name.startswith("."):
            found.setdefault(path.suffix, set()).add(path.stat().st_ino)
    return found


FAST_I2V = {"S2V_I2V_RESOLUTION": "128x96", "S2V_I2V_FRAMES": "9", "S2V_I2V_STEPS": "2"}


@pytest.fixture
def server(tiny_weights, tmp_path):
    # a slow image-to-video step, so the render is surely running when it is killed
    env = server_env(tiny_weights, tmp_path / "data", i2v_resolution="256x256", i2v_frames="97", i2v_steps="100")
    with open(tmp_path / "server.log", "wb") as log:
        process = Server(env, log)
        yield process
        if process.process and process.process.poll() is None:
            process.stop()


def test_kill_mid_render_then_restart_resumes_without_remaking(server):
    client = server.start()
    finished = client.post("/storyboard", params={"wait": 60}, json={"story": STORY, "scenes": 2}).json()
    assert finished["status"] == "done"
    running = slow_render_in_clips(client)
    deadline = time.monotonic() + 60
    while len((before := made(server.env["S2V_DATA_DIR"])).get(".wav", ())) < 3:  # spoken beside the first clip
        assert time.monotonic() < deadline, before
        time.sleep(0.05)
    assert len(before[".png"]) == 3 and len(before[".wav"]) == 3
    queued = client.post("/storyboard", json={"story": STORY, "scenes": 1}).json()["task_id"]
    assert client.get(f"/tasks/{queued}").json()["status"] == "pending"
    server.stop(signal.SIGKILL)

    server.env.update(FAST_I2V)  # the clips it had not finished are made at the new settings
    client = server.start()
    again = client.get(f"/tasks/{finished['task_id']}").json()
    assert again["status"] == "done" and again["result"] == finished["result"]
    assert client.get(f"/data/{finished['task_id']}/storyboard.json").status_code == 200
    deadline = time.monotonic() + 120
    while (task := client.get(f"/tasks/{running}").json())["status"] not in ("done", "error"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert task["status"] == "done", task
    after = made(server.env["S2V_DATA_DIR"])
    # keyframes and narration kept (a remade file is a new inode); composing adds the film's stems
    assert after[".png"] == before[".png"] and before[".wav"] <= after[".wav"]
    assert client.get(task["result"]["video"]).status_code == 200
    while client.get(f"/tasks/{queued}").json()["status"] != "done":  # queued work runs after the restart
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_a_task_running_at_two_restarts_in_a_row_is_interrupted(server):
    server.env["S2V_SHUTDOWN_GRACE"] = "0"
    client = server.start()
    running = slow_render_in_clips(client)
    started = time.monotonic()
    assert server.stop(signal.SIGTERM) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it caught
    assert time.monotonic() - started < 20  # one denoising step, not the rest of the render
    client = server.start()
    wait_for_clips(client, running)  # resumed: it runs again
    server.stop(signal.SIGKILL)
    client = server.start()
    task = client.get(f"/tasks/{running}").json()
    assert task["status"] == "error" and task["error"]["code"] == "interrupted"
    assert "event: error" in client.get(f"/tasks/{running}/events").text
    folder = server.env["S2V_DATA_DIR"] + f"/{running}"
    assert not [name for _, _, names in os.walk(folder) for name in names if ".part" in name]
