"""Cancel, delete, the queue cap and the body limit, with the GPU worker held at a step boundary."""

import pytest

from tests.conftest import tiny_settings
from tests.server.conftest import GatedRegistry, serve, small_render, wait_status


@pytest.fixture
def gated(tmp_path):
    def start(**overrides):
        registry = GatedRegistry(tiny_settings(tmp_path / "data", **overrides))
        return serve(tmp_path / "data", registry, **overrides), registry

    return start


def test_cancel_pending_and_running(gated):
    server, registry = gated()
    with server as client:
        gate = registry.close_gate()
        running = client.post("/render", json=small_render()).json()["task_id"]
        assert gate.entered.wait(60)  # the worker is inside the frames stage
        pending = client.post("/render", json=small_render(scene_count=1)).json()["task_id"]
        assert client.get(f"/tasks/{running}").json()["stage"] == "frames"

        cancelled = client.post(f"/tasks/{pending}/cancel").json()
        assert cancelled["status"] == "cancelled" and cancelled["started_at"] is None
        client.post(f"/tasks/{running}/cancel")
        task = wait_status(client, running, "cancelled", seconds=10)
        assert task["error"]["code"] == "cancelled" and task["error"]["stage"] == "frames"
        assert [s["status"] for s in task["stages"]] == ["done", "cancelled", "pending", "pending", "pending"]
        folder = client.app.state.services.jobs.task_dir(running)
        assert not [p for p in folder.rglob("*") if p.name.startswith(".") and ".part" in p.name]
        assert not (folder / "final.mp4").exists()

        gate.opened.set()
        follow = client.post("/render?wait=120", json=small_render(scene_count=1)).json()
        assert follow["status"] == "done", follow["error"]  # the worker goes on after a cancel
        assert client.get(f"/tasks/{pending}").json()["started_at"] is None  # it never ran
        again = client.post(f"/tasks/{follow['task_id']}/cancel")
        assert again.status_code == 409 and again.json()["error"]["code"] == "task_finished"


def test_delete_a_running_task(gated):
    server, registry = gated()
    with server as client:
        gate = registry.close_gate()
        task_id = client.post("/render", json=small_render()).json()["task_id"]
        assert gate.entered.wait(60)
        folder = client.app.state.services.jobs.task_dir(task_id)
        assert client.delete(f"/tasks/{task_id}").status_code == 204
        assert client.get(f"/tasks/{task_id}").status_code == 404 and not folder.exists()
        gate.opened.set()


def test_queue_cap_answers_429_with_retry_after(gated):
    server, registry = gated(max_queue=2)
    with server as client:
        gate = registry.close_gate()
        first = client.post("/render", json=small_render())
        second = client.post("/render", json=small_render())
        assert first.status_code == second.status_code == 202
        refused = client.post("/storyboard", json={"story": "One more."})
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "queue_full"
        assert int(refused.headers["retry-after"]) >= 1
        client.post(f"/tasks/{second.json()['task_id']}/cancel")
        assert client.post("/storyboard", json={"story": "Now it fits."}).status_code == 202
        gate.opened.set()


def test_body_limit_answers_413(gated):
    server, _ = gated(max_body_bytes=2048)
    with server as client:
        big = {"story": "word " * 1000}
        answer = client.post("/storyboard", json=big)
        assert answer.status_code == 413
        assert answer.json()["error"] == {
            "code": "body_too_large",
            "message": "the body is larger than 2048 bytes (S2V_MAX_BODY_BYTES)",
            "field": "body",
        }

        def chunks():  # no Content-Length: the limit still holds
            for _ in range(10):
                yield b" " * 500

        answer = client.post("/storyboard", content=chunks(), headers={"content-type": "application/json"})
        assert answer.status_code == 413
        assert client.post("/storyboard", json={"story": "Small enough."}).status_code == 202
