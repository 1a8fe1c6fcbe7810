"""A shot's emotion in a project: an edit stales its narration; Qwen3-TTS speaks that shot again in
the new manner, an engine that reads no style finds the same narration in the store."""

import client_projects  # scripts/ is on the path (tests/conftest.py)
import pytest

from models.qwen_tts import WORKER_PYTHON
from server.prepare import lines_of
from server.requests import NarrationRequest
from tests.server.conftest import serve, wait_status
from tests.server.helpers import PROJECT_OPTIONS, files_of, rendered

STORY = "The keeper climbed the stairs at dusk. He lit the great lamp. The sailors waved at the tower."
ENGINES = {
    "qwen-tts": {"tts_backend": "qwen-tts", "tts_model": "tts-qwen"},
    "espeak": {"tts_backend": "espeak"},
}


def edited_emotion(client) -> tuple[dict, dict, dict]:
    """A project rendered, its second shot's emotion edited, rendered again: both states and the edit's answer."""
    answer = client.post("/projects", json={"story": STORY, "options": {**PROJECT_OPTIONS, "scene_count": 3}})
    assert answer.status_code == 201, answer.text
    project_id = answer.json()["project_id"]
    wait_status(client, answer.json()["task_id"], "done")
    first = rendered(client, project_id)
    edit = client_projects.parser().parse_args(["edit", project_id, "s2", "--emotion", "whispering, afraid"])
    assert client_projects.run(client, edit) == 0  # as the command line sends it
    shot = client.get(f"/projects/{project_id}").json()["shots"][1]
    return first, shot, rendered(client, project_id)


@pytest.mark.parametrize("engine", ENGINES)
def test_an_edited_emotion_respeaks_its_shot_only_where_the_engine_reads_it(engine, tiny_weights, tmp_path):
    if engine == "qwen-tts" and not WORKER_PYTHON.is_file():
        pytest.skip("no .venv-qwen-tts: run scripts/setup.sh")
    with serve(tmp_path, **ENGINES[engine]) as client:
        assert client.get("/system").json()["speech_styles"] is (engine == "qwen-tts")  # what the page's hint says
        first, shot, second = edited_emotion(client)
        before, after = files_of(client, first), files_of(client, second)
    assert shot["emotion"] == "whispering, afraid" and shot["stale"] == ["narration", "clip"]
    assert second["renders"][1]["shots_made"] == ["s2"] and second["shots"][1]["stale"] == []
    assert after["s1"] == before["s1"] and after["s3"] == before["s3"]  # byte-identical elsewhere
    assert after["s2"]["keyframe"] == before["s2"]["keyframe"]
    reads_styles = engine == "qwen-tts"
    assert (after["s2"]["audio"] != before["s2"]["audio"]) == reads_styles


def test_a_narration_lines_emotion_is_how_it_is_spoken():
    lines = [{"scene_id": "s1", "text": "Hi.", "emotion": "calm"}, {"scene_id": "s2", "narration": "Yes."}]
    request = NarrationRequest(lines=lines)  # a /narration body: a line's text, or a storyboard scene as it is
    assert [(line.text, line.style) for line in lines_of(request)] == [("Hi.", "calm"), ("Yes.", None)]
