"""`batch_render.py --server`: a batch submitted to a running server, followed there, downloaded."""

import json

import batch_client
import batch_render
from render import parser

from tests.server.conftest import serve

STORIES = [
    {"id": "lamp", "story": "The keeper climbed the stairs at dusk. He lit the great lamp."},
    {"id": "fox", "story": "A fox saw the moon over the hill. The moon smiled back."},
    {"id": "empty", "story": "   "},
]
SMALL = ["--scenes", "2", "--image-resolution", "64x64", "--resolution", "160x90", "--fps", "8", "--motion", "kenburns"]


def test_a_batch_renders_on_the_server_and_a_rerun_finds_the_same_tasks(tiny_weights, tmp_path):
    source = tmp_path / "stories.jsonl"
    source.write_text("\n".join(json.dumps(story) for story in STORIES), encoding="utf-8")
    out = tmp_path / "out"
    args = parser().parse_args([str(source), "--out", str(out), *SMALL])
    todo = batch_render.stories(source, tmp_path)
    with serve(tmp_path / "data", tts_backend="espeak") as client:
        failures = batch_client.render_on_server(client, todo, out, args)
        assert [name for name, _ in failures] == ["empty"]
        assert "[story]" in failures[0][1]  # the server's 400 names the field
        for name in ("lamp", "fox"):
            assert (out / f"{name}.mp4").stat().st_size > 0 and (out / f"{name}.srt").is_file()
        tasks = client.get("/tasks?kind=render").json()["tasks"]
        assert len(tasks) == 2 and {t["status"] for t in tasks} == {"done"}

        (out / "fox.mp4").unlink()
        assert batch_client.render_on_server(client, todo[1:2], out, args) == []
        assert len(client.get("/tasks?kind=render").json()["tasks"]) == 2  # the same task, not a new render
        assert (out / "fox.mp4").is_file()
