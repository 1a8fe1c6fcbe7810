"""API keys: 401 without one, each key sees only its own tasks and files (404 for the others')."""

import pytest

from tests.server.conftest import STORY, serve, wait_status

ALICE, BOB = {"X-API-Key": "alice-key"}, {"Authorization": "Bearer bob-key"}


@pytest.fixture(scope="module")
def client(registry, tmp_path_factory):
    with serve(tmp_path_factory.mktemp("auth"), registry, ALICE, api_keys="alice-key, bob-key") as client:
        yield client


def test_every_route_but_the_probes_needs_a_key(client):
    anonymous = {"X-API-Key": ""}
    assert client.get("/healthz", headers=anonymous).status_code == 200
    assert client.get("/readyz", headers=anonymous).status_code == 200
    for method, path in [("GET", "/system"), ("GET", "/tasks"), ("POST", "/storyboard"), ("POST", "/uploads")]:
        answer = client.request(method, path, headers=anonymous, json={"story": STORY})
        assert answer.status_code == 401, path
        assert answer.json()["error"]["code"] == "unauthorized"
        assert answer.headers["www-authenticate"] == "Bearer"
    assert client.get("/tasks", headers={"X-API-Key": "alice-kex"}).status_code == 401
    assert client.get("/openapi.json", headers=anonymous).status_code == 401
    # the key is checked before the body is read: no 400 or 413 tells a stranger anything
    assert client.post("/storyboard", content=b"{not json", headers=anonymous).status_code == 401
    huge = {**anonymous, "content-length": str(2**30)}
    assert client.post("/storyboard", content=b"{", headers=huge).status_code == 401
    assert client.get("/tasks", headers={"Authorization": "Bearer nope", "X-API-Key": ""}).status_code == 401


def test_keys_see_only_their_own_tasks(client):
    task = client.post("/storyboard?wait=60", json={"story": STORY, "scenes": 1}).json()
    task_id = task["task_id"]
    assert task["status"] == "done"
    bob = {**BOB, "X-API-Key": ""}
    assert client.get(f"/tasks/{task_id}", headers=bob).status_code == 404
    assert client.post(f"/tasks/{task_id}/cancel", headers=bob).status_code == 404
    assert client.delete(f"/tasks/{task_id}", headers=bob).status_code == 404
    assert client.get(f"/tasks/{task_id}/events", headers=bob).status_code == 404
    assert client.get(f"/tasks/{task_id}/archive", headers=bob).status_code == 404
    assert client.get(f"/data/{task_id}/storyboard.json", headers=bob).status_code == 404
    assert client.get(f"/data/{task_id}/storyboard.json").status_code == 200
    assert task_id not in [t["task_id"] for t in client.get("/tasks", headers=bob).json()["tasks"]]
    assert task_id in [t["task_id"] for t in client.get("/tasks").json()["tasks"]]


def test_a_frame_of_another_key_is_refused(client):
    body = {"storyboard": [{"scene_id": "s1", "prompt": "a fox"}], "image_style": {"resolution": "64x64"}}
    frames = client.post("/frames?wait=60", json=body).json()
    frame = frames["result"]["frames"][0]["frame"]
    clip = {"frames": [{"scene_id": "s1", "frame": frame, "duration": 1, "motion": "static"}]}
    answer = client.post("/clips", json=clip, headers={**BOB, "X-API-Key": ""})
    assert answer.status_code == 400 and answer.json()["error"]["field"] == "frames[0].frame"
    mine = client.post("/clips", json=clip)
    assert mine.status_code == 202
    wait_status(client, mine.json()["task_id"], "done")


def test_websocket_needs_a_key_and_sees_only_its_tasks(client):
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/ws", headers={"X-API-Key": ""}) as socket:
        socket.receive_json()
    with client.websocket_connect("/ws?api_key=bob-key", headers={"X-API-Key": ""}) as bob_socket:
        with client.websocket_connect("/ws") as alice_socket:
            task_id = client.post("/storyboard", json={"story": STORY, "scenes": 1}).json()["task_id"]
            while (message := alice_socket.receive_json())["event"] != "done":
                assert message["task_id"] == task_id
        bob_task = client.post("/storyboard", json={"story": STORY, "scenes": 1}, headers={**BOB, "X-API-Key": ""})
        assert bob_socket.receive_json()["task_id"] == bob_task.json()["task_id"]  # never alice's
