"""Faults injected at the runtime boundary: each fails one task clearly and the server keeps serving."""

import errno
import sqlite3
import stat

import psutil
import pytest
import torch

import models.diffusion
import pipelines.artifact_store
from tests.conftest import tiny_settings
from tests.server.conftest import GatedRegistry, serve, small_render, wait_status

FRAMES = {"storyboard": [{"scene_id": "s1", "prompt": "a fox"}], "image_style": {"resolution": "64x64", "seed": 1}}
STILL = {"frames": [{"scene_id": "s1", "frame": "", "duration": 1, "motion": "static"}], "video": {"fps": 4}}


@pytest.fixture(scope="module")
def client(registry, tmp_path_factory):
    with serve(tmp_path_factory.mktemp("faults"), registry, ffmpeg_timeout=3) as client:
        yield client


@pytest.fixture(scope="module")
def frame(client):
    return client.post("/frames?wait=60", json=FRAMES).json()["result"]["frames"][0]["frame"]


def still_clip(frame: str) -> dict:
    return {**STILL, "frames": [{**STILL["frames"][0], "frame": frame}], "video": {"fps": 4, "resolution": "160x90"}}


def fake_ffmpeg(tmp_path, body: str) -> str:
    script = tmp_path / "ffmpeg"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_out_of_memory_in_frames_then_the_next_task_succeeds(client, registry, monkeypatch):
    runtime = registry.get("t2i")
    freed = []
    real_free = models.diffusion.free_accelerator_memory
    monkeypatch.setattr(models.diffusion, "free_accelerator_memory", lambda: (freed.append(1), real_free()))

    class OutOfMemoryPipe:
        """The real pipeline (its adapter settings too) whose denoising call runs out of memory."""

        def __getattr__(self, name):
            return getattr(real_pipe, name)

        def __call__(self, **kwargs):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    real_pipe = runtime.pipe
    monkeypatch.setattr(runtime, "pipe", OutOfMemoryPipe())
    task = client.post("/frames?wait=60", json=FRAMES).json()
    assert task["status"] == "error"
    assert task["error"]["code"] == "out_of_memory" and task["error"]["stage"] == "frames"
    assert freed  # the cache was given back before the error went up
    monkeypatch.undo()
    assert client.post("/frames?wait=60", json=FRAMES).json()["status"] == "done"


def test_one_scenes_image_to_video_failure_is_a_warning(client, registry, monkeypatch):
    runtime = registry.get("i2v")
    real_animate = runtime.animate
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the sampler diverged")
        return real_animate(*args, **kwargs)

    monkeypatch.setattr(runtime, "animate", flaky)
    body = small_render(video={"fps": 8, "resolution": "160x90", "motion": "i2v"})
    task = client.post("/render?wait=300", json=body).json()
    assert task["status"] == "done", task["error"]
    assert any(w.startswith("s1: image-to-video failed") for w in task["warnings"])
    assert len(calls) == 2


def test_ffmpeg_exiting_non_zero(client, frame, tmp_path, monkeypatch):
    monkeypatch.setenv(
        "S2V_FFMPEG", fake_ffmpeg(tmp_path, "echo 'Invalid data found when processing input' >&2; exit 1")
    )
    task = client.post("/clips?wait=60", json=still_clip(frame)).json()
    assert task["status"] == "error" and task["error"]["code"] == "ffmpeg_failed"
    assert "Invalid data found" in task["error"]["message"]
    assert str(tmp_path) not in task["error"]["message"]


def test_ffmpeg_hanging_past_its_timeout_is_killed(client, frame, tmp_path, monkeypatch):
    monkeypatch.setenv("S2V_FFMPEG", fake_ffmpeg(tmp_path, "echo 'stuck at frame 3' >&2; exec sleep 600"))
    task = client.post("/clips?wait=60", json=still_clip(frame)).json()
    assert task["status"] == "error" and task["error"]["code"] == "ffmpeg_failed"
    assert "timeout" in task["error"]["message"] and "stuck at frame 3" in task["error"]["message"]
    children = psutil.Process().children(recursive=True)
    assert not [c for c in children if c.status() == psutil.STATUS_ZOMBIE or "sleep" in c.name()]


def test_ffmpeg_missing(client, frame, monkeypatch):
    monkeypatch.setenv("S2V_FFMPEG", "/nonexistent/bin/ffmpeg")
    task = client.post("/clips?wait=60", json=still_clip(frame)).json()
    assert task["status"] == "error" and task["error"]["code"] == "ffmpeg_failed"
    assert "cannot start ffmpeg" in task["error"]["message"] and "/nonexistent" not in task["error"]["message"]
    monkeypatch.undo()
    assert client.post("/clips?wait=60", json=still_clip(frame)).json()["status"] == "done"


def test_a_full_disk_fails_the_task_not_the_server(client, monkeypatch):
    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pipelines.artifact_store.os, "replace", full)
    task = client.post("/frames?wait=60", json={**FRAMES, "image_style": {"resolution": "64x64", "seed": 9}}).json()
    assert task["status"] == "error" and task["error"]["code"] == "storage_error"
    assert task["error"]["message"] == "[Errno 28] No space left on device"
    monkeypatch.undo()
    assert client.get("/readyz").status_code == 200
    assert (
        client.post("/frames?wait=60", json={**FRAMES, "image_style": {"resolution": "64x64", "seed": 9}}).json()[
            "status"
        ]
        == "done"
    )


def test_a_job_table_that_cannot_be_written_keeps_serving_from_memory(client, monkeypatch):
    store = client.app.state.services.jobs.store

    class BrokenDisk:
        def execute(self, *args):
            raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "_db", BrokenDisk())
    task = client.post("/storyboard?wait=60", json={"story": "The disk is full. We go on."}).json()
    assert task["status"] == "done"
    assert client.get(f"/tasks/{task['task_id']}").json()["status"] == "done"
    assert store.write_errors > 0


def test_a_data_dir_that_cannot_be_created_stops_startup_clearly(tmp_path, registry):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(RuntimeError, match="cannot use the data directory"), serve(blocker / "data", registry):
        pass


def test_the_gpu_worker_dying(tmp_path):
    registry = GatedRegistry(tiny_settings(tmp_path / "data"))
    with serve(tmp_path / "data", registry) as client:
        jobs = client.app.state.services.jobs
        gate = registry.close_gate()
        running = client.post("/render", json=small_render()).json()["task_id"]
        assert gate.entered.wait(60)
        pending = client.post("/render", json=small_render(scene_count=1)).json()["task_id"]
        real_run = jobs.worker.run_task

        def crash(task_id):
            raise SystemExit("simulated crash of the worker thread")

        # the worker dies when it takes up the second task, after finishing the first
        jobs.worker.run_task = lambda task_id: crash(task_id) if task_id == pending else real_run(task_id)
        gate.opened.set()
        assert wait_status(client, running, "done", "error")["status"] == "done"
        dead = wait_status(client, pending, "error")
        assert dead["error"]["code"] == "worker_stopped"
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["error"]["code"] == "worker_stopped"
        refused = client.post("/storyboard", json={"story": "Anyone there?"})
        assert refused.status_code == 503
        tasks = client.get("/tasks").json()["tasks"]
        assert not [t for t in tasks if t["status"] in ("pending", "running")]
