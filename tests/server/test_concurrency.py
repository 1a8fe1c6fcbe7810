"""Two people editing the same project: every write may send the If-Match it last saw, and a write
over a newer state is a 412 with that state, never a silent overwrite."""

import pytest

from tests.server.conftest import STORY, serve, wait_status


@pytest.fixture(scope="module")
def client(registry, tmp_path_factory):
    with serve(tmp_path_factory.mktemp("concurrency"), registry, llm_backend="none", tts_backend="espeak") as client:
        yield client


@pytest.fixture
def project(client):
    answer = client.post("/projects", json={"story": STORY, "options": {"scene_count": 2}})
    assert answer.status_code == 201, answer.text
    wait_status(client, answer.json()["task_id"], "done")
    created = client.post(f"/projects/{answer.json()['project_id']}/characters", json={"name": "Fox"})
    assert created.status_code == 201 and created.headers["etag"] == created.json()["etag"]
    return client.get(f"/projects/{answer.json()['project_id']}")


def test_a_shot_written_over_a_newer_state_is_a_412(client, project):
    shot = project.json()["shots"][0]
    path = f"/projects/{project.json()['project_id']}/shots/{shot['shot_id']}"
    mine = client.patch(path, json={"prompt": "mine"}, headers={"If-Match": shot["etag"]})
    assert mine.status_code == 200 and mine.headers["etag"] == mine.json()["etag"] != shot["etag"]
    theirs = client.patch(path, json={"prompt": "theirs"}, headers={"If-Match": shot["etag"]})  # saw the old one
    assert theirs.status_code == 412 and theirs.json()["error"]["code"] == "precondition_failed"
    assert theirs.json()["current"]["prompt"] == "mine" and theirs.headers["etag"] == mine.json()["etag"]
    again = client.patch(path, json={"prompt": "theirs"}, headers={"If-Match": mine.json()["etag"]})
    assert again.status_code == 200 and again.json()["prompt"] == "theirs"
    assert client.patch(path, json={"title": "no If-Match: the last write wins"}).status_code == 200


def test_the_project_and_its_cast_are_guarded_the_same_way(client, project):
    base = f"/projects/{project.json()['project_id']}"
    tag = project.headers["etag"]
    assert client.patch(base, json={"title": "one"}, headers={"If-Match": tag}).status_code == 200
    assert client.patch(base, json={"title": "two"}, headers={"If-Match": tag}).status_code == 412
    assert client.post(f"{base}/shots", json={"prompt": "new"}, headers={"If-Match": tag}).status_code == 412
    fox = client.get(f"{base}/characters").json()["characters"][0]
    changed = client.patch(f"{base}/characters/Fox", json={"description": "red"}, headers={"If-Match": fox["etag"]})
    assert changed.status_code == 200
    stale = client.delete(f"{base}/characters/Fox", headers={"If-Match": fox["etag"]})
    assert stale.status_code == 412 and stale.json()["current"]["description"] == "red"
    assert client.get(f"{base}/characters").json()["characters"][0]["name"] == "Fox"  # refused: nothing changed
    assert client.delete(f"{base}/characters/Fox", headers={"If-Match": changed.json()["etag"]}).status_code == 204
