"""A project's cast on the tiny weights: characters added, edited and deleted through the API; a
changed reference remakes exactly the shots that name the character; a voice change re-speaks
exactly the shots where it speaks; a design drawn again; bad requests name their field. Every test
runs on both keyframe families that keep faces: SDXL with the IP-Adapter, and FLUX.2 klein with its
own reference images."""

import io

import numpy as np
import pytest
import soundfile
from PIL import Image

from tests.server.conftest import serve, wait_status
from tests.server.helpers import PROJECT_OPTIONS as OPTIONS
from tests.server.helpers import files_of, local, rendered

STORY = (
    "Mara walked to the old mill at dawn. The miller waved from the door. "
    "“Good morning,” Mara called. The river turned the great wheel."
)


@pytest.fixture(scope="module", params=["t2i", "t2i-flux2"], ids=["sdxl-ip-adapter", "flux2-klein"])
def client(request, tiny_weights, tmp_path_factory):  # espeak-ng: its variants are clearly different voices
    with serve(tmp_path_factory.mktemp("cast"), tts_backend="espeak", t2i_model=request.param) as client:
        yield client


def uploaded_picture(client, colour) -> str:
    data = io.BytesIO()
    Image.new("RGB", (96, 96), colour).save(data, format="PNG")
    answer = client.post("/uploads", files={"file": ("face.png", data.getvalue(), "image/png")})
    assert answer.status_code == 201, answer.text
    return answer.json()["url"]


def stale(client, project_id: str) -> dict[str, list[str]]:
    shots = client.get(f"/projects/{project_id}").json()["shots"]
    return {shot["shot_id"]: shot["stale"] for shot in shots}


@pytest.fixture(scope="module")
def project(client) -> dict:
    answer = client.post("/projects", json={"story": STORY, "options": OPTIONS})
    assert answer.status_code == 201, answer.text
    wait_status(client, answer.json()["task_id"], "done")
    project_id = answer.json()["project_id"]
    for name in [c["name"] for c in client.get(f"/projects/{project_id}/characters").json()["characters"]]:
        assert client.delete(f"/projects/{project_id}/characters/{name}").status_code == 204  # the LLM's, at random
    made = client.post(f"/projects/{project_id}/characters", json={"name": "Mara", "description": "a tall girl"})
    assert made.status_code == 201, made.text
    assert made.json()["design"] is None and made.json()["strength"] == 0.6
    for shot_id, speakers in (("s1", []), ("s3", ["Mara"])):
        patch = {"characters": ["Mara"], "speakers": speakers}
        assert client.patch(f"/projects/{project_id}/shots/{shot_id}", json=patch).status_code == 200
    return rendered(client, project_id)


def test_a_render_draws_the_design_and_names_the_cast(client, project):
    project_id = project["project_id"]
    (mara,) = client.get(f"/projects/{project_id}/characters").json()["characters"]
    assert mara["design"] and client.get(mara["design"]).status_code == 200
    assert Image.open(local(client, mara["design"])).size[0] == Image.open(local(client, mara["design"])).size[1]
    assert all(shot["stale"] == [] for shot in project["shots"])


def test_a_new_reference_remakes_exactly_the_shots_that_name_the_character(client, project):
    project_id = project["project_id"]
    before = files_of(client, client.get(f"/projects/{project_id}").json())
    answer = client.patch(
        f"/projects/{project_id}/characters/Mara", json={"reference": uploaded_picture(client, "red")}
    )
    assert answer.status_code == 200, answer.text
    assert stale(client, project_id) == {"s1": ["keyframe", "clip"], "s2": [], "s3": ["keyframe", "clip"], "s4": []}
    after = rendered(client, project_id)
    assert sorted(after["renders"][-1]["shots_made"]) == ["s1", "s3"]
    now = files_of(client, after)
    for shot_id in ("s2", "s4"):
        assert now[shot_id] == before[shot_id]
    for shot_id in ("s1", "s3"):
        assert now[shot_id]["keyframe"] != before[shot_id]["keyframe"]
        assert now[shot_id]["audio"] == before[shot_id]["audio"]


def test_a_voice_change_re_speaks_only_where_the_character_speaks(client, project):
    project_id = project["project_id"]
    voices = client.get("/system").json()["voices"]
    assert len(voices) >= 2
    answer = client.patch(f"/projects/{project_id}/characters/Mara", json={"voice": voices[1]})
    assert answer.status_code == 200 and answer.json()["voice"] == voices[1]
    assert stale(client, project_id) == {"s1": [], "s2": [], "s3": ["narration", "clip"], "s4": []}
    before = files_of(client, client.get(f"/projects/{project_id}").json())
    after = files_of(client, rendered(client, project_id))
    assert after["s3"]["audio"] != before["s3"]["audio"] and after["s1"] == before["s1"]


def test_a_design_drawn_again_changes_the_portrait_not_shots_with_a_reference(client, project):
    project_id = project["project_id"]
    design = client.get(f"/projects/{project_id}/characters").json()["characters"][0]["design"]
    answer = client.post(f"/projects/{project_id}/characters/Mara/regenerate", json={"seed": 77})
    assert answer.status_code == 202, answer.text
    assert wait_status(client, answer.json()["task_id"], "done", "error")["status"] == "done"
    (mara,) = client.get(f"/projects/{project_id}/characters").json()["characters"]
    assert mara["design_seed"] == 77 and mara["design"] != design
    assert local(client, mara["design"]).read_bytes() != local(client, design).read_bytes()
    assert all(s == [] for s in stale(client, project_id).values())  # the reference is its identity


def test_deleting_a_character_frees_its_shots(client, project):
    project_id = project["project_id"]
    client.post(f"/projects/{project_id}/characters", json={"name": "Old Tom", "description": "a miller"})
    client.patch(f"/projects/{project_id}/shots/s2", json={"characters": ["Old Tom"]})
    rendered(client, project_id)
    assert client.delete(f"/projects/{project_id}/characters/Old Tom").status_code == 204
    shots = client.get(f"/projects/{project_id}").json()["shots"]
    assert shots[1]["characters"] == [] and shots[1]["stale"] == ["keyframe", "clip"]
    assert client.get(f"/projects/{project_id}/characters/Old Tom").status_code in (404, 405)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "A", "strength": 1.5}, "strength"),
        ({"name": "", "description": "x"}, "name"),
        ({"name": "a/b"}, "name"),
        ({"name": "B", "reference": "/data/uploads/nothing.png"}, "reference"),
        ({"name": "C", "voice": "/data/uploads/nothing.wav"}, "voice"),
        ({"name": "E", "voice": "no-such-voice"}, "voice"),
        ({"name": "D", "unknown": 1}, "unknown"),
    ],
)
def test_bad_characters_are_refused_with_their_field(client, project, body, field):
    project_id = project["project_id"]
    before = client.get(f"/projects/{project_id}").json()
    answer = client.post(f"/projects/{project_id}/characters", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["field"].startswith(field)
    assert client.get(f"/projects/{project_id}").json()["characters"] == before["characters"]


def test_a_speech_clip_is_refused_by_an_engine_that_cannot_clone(client, project):
    data = io.BytesIO()
    soundfile.write(data, np.zeros(8000, np.float32), 16000, format="WAV")
    clip = client.post("/uploads", files={"file": ("me.wav", data.getvalue(), "audio/wav")}).json()["url"]
    answer = client.post(f"/projects/{project['project_id']}/characters", json={"name": "F", "voice": clip})
    assert answer.status_code == 400 and answer.json()["error"]["field"] == "voice"
    assert "cannot clone" in answer.json()["error"]["message"]


def test_names_are_unique_and_unknown_ones_are_404(client, project):
    project_id = project["project_id"]
    again = client.post(f"/projects/{project_id}/characters", json={"name": "Mara"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "character_exists"
    assert client.patch(f"/projects/{project_id}/characters/Nobody", json={"strength": 0.1}).status_code == 404
    assert client.post(f"/projects/{project_id}/characters/Nobody/regenerate", json={}).status_code == 404


def test_a_one_shot_render_takes_a_cast_and_its_project_keeps_it(client):
    face = uploaded_picture(client, "blue")
    shots = [
        {"scene_id": "a", "prompt": "a girl at a mill", "narration": "“Hello,” she said.", "characters": ["Mara"]},
        {"scene_id": "b", "prompt": "a river", "narration": "The river ran."},
    ]
    cast = [{"name": "Mara", "description": "a tall girl", "reference": face, "strength": 0.9, "voice": "en-us+f2"}]
    body = {"storyboard": [{**shots[0], "speakers": ["Mara"]}, shots[1]], "characters": cast, "options": OPTIONS}
    answer = client.post("/render?wait=120", json=body)
    assert answer.status_code in (200, 202), answer.text
    task = wait_status(client, answer.json()["task_id"], "done", "error")
    assert task["status"] == "done", task
    (mara,) = task["result"]["characters"]
    assert mara["reference"] == face and mara["voice"] == "en-us+f2" and mara["design"].startswith("/data/")
    assert str(client.app.state.settings.data_dir) not in str(task["result"])  # no host path
    project = client.get(f"/projects/{task['result']['project_id']}").json()
    (kept,) = project["characters"]
    assert (kept["voice"], kept["strength"]) == ("en-us+f2", 0.9)
    project_id = task["result"]["project_id"]
    assert kept["reference"].startswith(f"/data/{project_id}/own/")  # the project's own copy: the task may go
    assert local(client, kept["reference"]).read_bytes() == local(client, face).read_bytes()
    assert kept["design"] and client.get(kept["design"]).status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("shots/s1", {"speakers": None}, "speakers"),
        ("shots/s1", {"index": None}, "index"),
        ("shots/s1", {"keyframe": None}, None),  # a shot's own keyframe may be cleared
        ("characters/Mara", {"strength": None}, "strength"),
        ("characters/Mara", {"voice": "/etc/hosts"}, "voice"),
    ],
)
def test_nulls_and_host_paths_are_refused_where_a_field_cannot_hold_them(client, project, path, body, field):
    answer = client.patch(f"/projects/{project['project_id']}/{path}", json=body)
    if field is None:
        assert answer.status_code == 200, answer.text
        return
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["field"] == field
    assert client.get(f"/projects/{project['project_id']}").status_code == 200


def test_any_name_a_person_may_give_is_addressable(client, project):
    project_id = project["project_id"]
    for name in ("小明", "Dr. Who?", "100% Tom #2"):
        answer = client.post(f"/projects/{project_id}/characters", json={"name": name})
        assert answer.status_code == 201, answer.text
        assert client.delete(answer.headers["location"]).status_code == 204
    for name in (".", "..", "x\u2028y", " padded"):
        assert client.post(f"/projects/{project_id}/characters", json={"name": name}).status_code == 400
