"""Helpers the server tests share: a `python -m server` process, uploads, project renders and their files."""

import os
import signal
import subprocess
import sys
import time

import httpx
from load_test import free_port  # scripts/ is on the path (tests/conftest.py)

from tests.conftest import ROOT
from tests.server.conftest import STORY, wait_status

PROJECT_OPTIONS = {
    "scene_count": 4,
    "image": {"resolution": "64x64", "seed": 4},
    "video": {"fps": 8, "resolution": "160x90", "motion": "kenburns"},
}


class Server:
    def __init__(self, env: dict, log):
        self.env, self.log = env, log
        self.url = f"http://127.0.0.1:{env['S2V_PORT']}"
        self.process = None

    def start(self) -> httpx.Client:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server"], cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        client = httpx.Client(base_url=self.url, timeout=30)
        deadline = time.monotonic() + 120
        while True:
            assert self.process.poll() is None, "the server exited"
            try:
                if client.get("/readyz").status_code == 200:
                    return client
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "not ready in 120 s"
            time.sleep(0.2)

    def stop(self, sig=signal.SIGKILL) -> int:
        self.process.send_signal(sig)
        return self.process.wait(60)


def slow_render_in_clips(client: httpx.Client) -> str:
    """A render that is surely running (in its image-to-video stage) when the test acts."""
    render = {"story": STORY, "options": {"scene_count": 3, "image": {"resolution": "64x64"}}}
    render["options"]["video"] = {"fps": 8, "resolution": "160x90", "motion": "i2v"}
    running = client.post("/render", json=render).json()["task_id"]
    wait_for_clips(client, running)
    return running


def wait_for_clips(client: httpx.Client, task_id: str) -> None:
    deadline = time.monotonic() + 60
    while client.get(f"/tasks/{task_id}").json()["stage"] != "clips":
        assert time.monotonic() < deadline
        time.sleep(0.05)


def server_env(weights, data_dir, **settings: str) -> dict:
    """The environment of a `python -m server` on the tiny weights, on a free port, with no LLM."""
    env = {**os.environ, "S2V_WEIGHTS_DIR": str(weights), "S2V_DATA_DIR": str(data_dir), "S2V_PORT": str(free_port())}
    return {
        **env,
        "S2V_DEVICE": "cpu",
        "S2V_LLM_BACKEND": "none",
        **{f"S2V_{k.upper()}": v for k, v in settings.items()},
    }


def upload(client, data: bytes, name: str = "file.bin", **headers):
    return client.post("/uploads", files={"file": (name, data, "application/octet-stream")}, headers=headers)


def local(client, url: str):
    return client.app.state.settings.data_dir / url.split("?")[0].removeprefix("/data/")


def rendered(client, project_id: str, **body) -> dict:
    answer = client.post(f"/projects/{project_id}/render", json=body)
    assert answer.status_code == 202, answer.text
    task = wait_status(client, answer.json()["task_id"], "done", "error")
    assert task["status"] == "done", task
    return client.get(f"/projects/{project_id}").json()


def files_of(client, project: dict) -> dict[str, dict[str, bytes]]:
    return {
        shot["shot_id"]: {what: local(client, shot[what]).read_bytes() for what in ("keyframe", "audio", "clip")}
        for shot in project["shots"]
    }
