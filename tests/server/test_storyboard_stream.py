"""A project's shots appear while the tiny LLM is still writing its storyboard (issue 24): the first
of twelve is in GET /projects/<id> before half of the storyboard's time has passed, each is a
`shot` event with `stage: "storyboard"`, and edits wait until the storyboard is done. A cancel
mid-way leaves no half storyboard."""

import json
import time

import pytest

from pipelines.storyboard import EMOTIONS
from tests.server.conftest import serve, wait_status
from tests.server.helpers import PROJECT_OPTIONS

TWELVE = " ".join(
    f"On day {day} the keeper {deed} while the {thing} watched from the rocks."
    for day, deed, thing in zip(
        range(1, 13),
        ["climbed", "painted", "mended", "sang", "fished", "slept", "read", "cooked", "swam", "waited", "wrote", "ran"],
        ["gulls", "seals", "crabs", "boats", "clouds", "stars", "foxes", "crows", "waves", "ships", "moon", "sun"],
        strict=True,
    )
)


@pytest.fixture(scope="module")
def client(tiny_weights, tmp_path_factory):
    with serve(tmp_path_factory.mktemp("stream"), tts_backend="espeak", llm_max_new_tokens=8000) as client:
        yield client


def test_the_first_of_twelve_shots_is_visible_before_half_the_storyboard(client):
    started = time.monotonic()
    answer = client.post("/projects", json={"story": TWELVE, "options": {**PROJECT_OPTIONS, "scene_count": 12}})
    assert answer.status_code == 201, answer.text
    project_id, task_id = answer.json()["project_id"], answer.json()["task_id"]
    seen: list[tuple[float, int, str]] = []  # when, how many shots, the project's status
    refused = None
    while True:
        project = client.get(f"/projects/{project_id}").json()
        seen.append((time.monotonic() - started, len(project["shots"]), project["status"]))
        if project["shots"] and refused is None and project["status"] == "storyboarding":
            refused = client.patch(f"/projects/{project_id}/shots/s1", json={"title": "mine"})
        if project["status"] != "storyboarding":
            break
        assert seen[-1][0] < 600, seen[-1]
        time.sleep(0.05)
    task = wait_status(client, task_id, "done")
    ended = seen[-1][0]
    first = next(when for when, count, _ in seen if count)
    assert project["status"] == "ready" and len(project["shots"]) == 12
    assert not any("rule-based" in w for w in task["warnings"])  # the LLM wrote all twelve
    assert first < ended / 2, (first, ended)
    counts = [count for _, count, _ in seen]
    assert counts == sorted(counts) and len(set(counts)) > 3  # they came one by one, never went back
    assert refused is not None and refused.status_code == 409  # edits wait for the storyboard
    assert refused.json()["error"]["code"] == "project_busy"

    text = client.get(f"/tasks/{task_id}/events").text
    events = [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]
    written = [e for e in events if e["event"] == "shot" and e["data"].get("stage") == "storyboard"]
    assert [e["shot_id"] for e in written] == [f"s{i}" for i in range(1, 13)]
    assert [e["data"]["index"] for e in written] == list(range(12))
    assert all(e["project_id"] == project_id for e in written)
    done = next(i for i, e in enumerate(events) if e["event"] == "done")
    assert events.index(written[-1]) < done
    final = {shot["shot_id"]: shot for shot in project["shots"]}
    for event in written:  # what was announced is what the project keeps
        assert final[event["shot_id"]]["prompt"] == event["data"]["prompt"]
        assert final[event["shot_id"]]["narration"] == event["data"]["narration"]
        assert final[event["shot_id"]]["emotion"] == event["data"]["emotion"] in EMOTIONS


def test_a_storyboard_cancelled_mid_way_leaves_no_shots(client):
    story = TWELVE.replace("keeper", "old keeper")  # not in the artifact store yet
    answer = client.post("/projects", json={"story": story, "options": {**PROJECT_OPTIONS, "scene_count": 12}})
    project_id, task_id = answer.json()["project_id"], answer.json()["task_id"]
    deadline = time.monotonic() + 300
    while not client.get(f"/projects/{project_id}").json()["shots"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert client.post(f"/tasks/{task_id}/cancel").status_code == 200
    wait_status(client, task_id, "cancelled")
    project = client.get(f"/projects/{project_id}").json()
    assert project["status"] == "error" and project["shots"] == [] and project["characters"] == []
