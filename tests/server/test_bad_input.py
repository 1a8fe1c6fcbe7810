"""The bad-input catalogue: each hostile request gets a 4xx naming the field, and writes nothing outside data/."""

import json

import pytest

from pipelines import ffmpeg
from tests.server.conftest import serve

FRAME = {"scene_id": "s1", "prompt": "a fox"}
CLIP = {"scene_id": "s1", "frame": "/data/x/frames/s1.png", "duration": 1}


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("root")


@pytest.fixture(scope="module")
def client(registry, root):
    (root / "outside").mkdir()
    (root / "outside" / "keep.txt").write_text("untouched")
    with serve(root / "data", registry) as client:
        yield client


def files_outside(root):
    return sorted(str(p) for p in root.rglob("*") if "data" not in p.relative_to(root).parts)


CATALOGUE = [
    # (path, JSON body, field the 400 names)
    ("/storyboard", {"story": ""}, "story"),
    ("/storyboard", {"story": "  \n\t \u200b "}, "story"),
    ("/storyboard", {"story": "x" * 200_000}, "story"),
    ("/storyboard", {"story": "a fox\x00 and the moon"}, "story"),
    ("/storyboard", {"story": 123}, "story"),
    ("/storyboard", {"story": ["a"]}, "story"),
    ("/storyboard", {"story": "ok", "scenes": 0}, "scenes"),
    ("/storyboard", {"story": "ok", "scenes": -1}, "scenes"),
    ("/storyboard", {"story": "ok", "scenes": 10**9}, "scenes"),
    ("/storyboard", {"story": "ok", "scenes": "six"}, "scenes"),
    ("/storyboard", {"story": "ok", "scenes": 2.5}, "scenes"),
    ("/storyboard", {"story": "ok", "language": "klingon"}, "language"),
    ("/storyboard", {"story": "ok", "colour": "red"}, "colour"),
    ("/storyboard", {}, "story"),
    ("/frames", {"storyboard": [FRAME], "image_style": {"resolution": "100x100"}}, "image_style.resolution"),
    ("/frames", {"storyboard": [FRAME], "image_style": {"resolution": "16384x16384"}}, "image_style.resolution"),
    ("/frames", {"storyboard": [FRAME], "image_style": {"resolution": "abc"}}, "image_style.resolution"),
    ("/frames", {"storyboard": [FRAME], "image_style": {"seed": 2**64 + 1}}, "image_style.seed"),
    ("/frames", {"storyboard": [FRAME], "image_style": {"seed": -1}}, "image_style.seed"),
    ("/frames", {"storyboard": [FRAME], "image_style": {"num_steps": 9}}, "image_style.num_steps"),
    ("/frames", {"storyboard": [FRAME], "image_style": {"sampler": "x"}}, "image_style.sampler"),
    ("/frames", {"storyboard": []}, "storyboard"),
    ("/frames", {"storyboard": {"scene_id": "s1"}}, "storyboard"),
    ("/frames", {"storyboard": [FRAME, FRAME]}, "storyboard"),
    ("/frames", {"storyboard": [{**FRAME, "scene_id": "../../x"}]}, "storyboard[0].scene_id"),
    ("/frames", {"storyboard": [{**FRAME, "scene_id": "a" * 65}]}, "storyboard[0].scene_id"),
    ("/clips", {"frames": [CLIP], "video": {"fps": 0}}, "video.fps"),
    ("/clips", {"frames": [CLIP], "video": {"fps": 61}}, "video.fps"),
    ("/clips", {"frames": [CLIP], "video": {"resolution": "99999x2"}}, "video.resolution"),
    ("/clips", {"frames": [{**CLIP, "duration": 0.1}]}, "frames[0].duration"),
    ("/clips", {"frames": [{**CLIP, "transition": "explode"}]}, "frames[0].transition"),
    ("/clips", {"frames": [{**CLIP, "frame": "../../etc/passwd"}]}, "frames[0].frame"),
    ("/clips", {"frames": [{**CLIP, "frame": "/data/%2e%2e/%2e%2e/etc/passwd"}]}, "frames[0].frame"),
    ("/clips", {"frames": [{**CLIP, "frame": "/etc/passwd"}]}, "frames[0].frame"),
    ("/clips", {"frames": [{**CLIP, "frame": "data:image/png;base64,bm90IGFuIGltYWdl"}]}, "frames[0].frame"),
    ("/clips", {"frames": [{**CLIP, "frame": "data:image/svg+xml;base64,PHN2Zz4="}]}, "frames[0].frame"),
    ("/narration", {"lines": [{"scene_id": "s1", "text": "hi"}], "speed": 3}, "speed"),
    ("/narration", {"lines": [{"scene_id": "s1", "text": "hi"}], "format": "flac"}, "format"),
    ("/narration", {"lines": [{"scene_id": "s1", "text": "x" * 20_001}]}, "lines[0].text"),
    ("/render", {"story": "ok", "options": {"aspect": "4:3"}}, "options.aspect"),
    ("/render", {"story": "ok", "options": {"video": {"fps": 0}}}, "options.video.fps"),
    ("/render", {"story": "ok", "options": {"image": {"resolution": "12x12"}}}, "options.image.resolution"),
    ("/render", {"story": "ok", "options": {"video": {"resolution": "abc"}}}, "options.video.resolution"),
    ("/render", {"story": "ok", "options": {"scene_count": 25}}, "options.scene_count"),
    ("/render", {"story": "ok", "options": {"music": "loud"}}, "options.music"),
    ("/render", {"story": "ok", "options": {"subtitles": "soft-ish"}}, "options.subtitles"),
    ("/render", {"story": "ok", "options": {"subtitles": 1}}, "options.subtitles"),
    ("/render", {"story": "ok", "options": {"subtitles": "true"}}, "options.subtitles"),
]


@pytest.mark.parametrize(("path", "body", "field"), CATALOGUE)
def test_bad_bodies(client, root, path, body, field):
    before = files_outside(root)
    answer = client.post(path, json=body)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_request" and error["field"] == field, error
    assert "Traceback" not in answer.text and str(root) not in answer.text
    assert files_outside(root) == before


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"frames": [{"scene_id": "s1", "frame": "/data/x.png", "duration": 1}], "video": {"fps": NaN}}', "video.fps"),
        ('{"frames": [{"scene_id": "s1", "frame": "/data/x.png", "duration": Infinity}]}', "frames[0].duration"),
        (
            '{"frames": [{"scene_id": "s1", "frame": "/data/x.png", "duration": 1}], '
            '"video": {"transition_duration": NaN}}',
            "video.transition_duration",
        ),
        ('{"story": "ok", "options": {"speed": -Infinity}}', "options.speed"),
        ('{"story": "unterminated', "body"),
        ("[1, 2, 3]", "body"),
        ("", "body"),
        ("null", "body"),
    ],
)
def test_bad_json(client, raw, field):
    path = "/clips" if "frames" in raw else "/render" if "options" in raw else "/storyboard"
    answer = client.post(path, content=raw, headers={"content-type": "application/json"})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["field"] == field


@pytest.mark.parametrize(
    ("query", "field"),
    [("wait=-1", "wait"), ("wait=601", "wait"), ("wait=abc", "wait"), ("wait=nan", "wait")],
)
def test_bad_query(client, query, field):
    answer = client.post(f"/storyboard?{query}", json={"story": "ok"})
    assert answer.status_code == 400 and answer.json()["error"]["field"] == field


def test_bad_list_queries_and_headers(client):
    for query, field in [("limit=0", "limit"), ("limit=10000", "limit"), ("cursor=abc", "cursor"), ("kind=x", "kind")]:
        answer = client.get(f"/tasks?{query}")
        assert answer.status_code == 400 and answer.json()["error"]["field"] == field
    answer = client.post("/storyboard", json={"story": "ok"}, headers={"Idempotency-Key": "k" * 10_000})
    assert answer.status_code == 400 and answer.json()["error"]["field"] == "idempotency-key"


def test_a_huge_data_uri_is_refused_before_it_is_read(client):
    answer = client.post(
        "/clips", content=b'{"frames": [', headers={"content-type": "application/json", "content-length": str(2**30)}
    )
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "body_too_large"


@pytest.mark.parametrize(
    "task_id", ["..%2F..%2Fetc%2Fpasswd", "%2e%2e", "a" * 10_000, "st_0000000000000000", "%00", "🦊"]
)
def test_hostile_task_ids_are_not_found(client, task_id):
    for method, suffix in [("GET", ""), ("POST", "/cancel"), ("DELETE", ""), ("GET", "/events"), ("GET", "/archive")]:
        answer = client.request(method, f"/tasks/{task_id}{suffix}")
        assert answer.status_code == 404, (method, suffix, answer.text)
        assert answer.json()["error"]["code"] == "not_found"


NASTY = "He said: 'stop' \\ 100%{pts} [a] [b], c;\nNext line\u202eevil\u202c and\u200bzero-width. 他说：'停'，[好]。"


def test_metacharacters_and_invisible_characters_render(client, tmp_path):
    lines = {"lines": [{"scene_id": "s1", "text": NASTY}]}
    spoken = client.post("/narration?wait=120", json=lines).json()
    assert spoken["status"] == "done", spoken["error"]
    body = {
        "story": NASTY + " " + NASTY,
        "options": {
            "scene_count": 2,
            "image": {"resolution": "64x64"},
            "video": {"fps": 4, "resolution": "160x90", "motion": "static"},
        },
    }
    task = client.post("/render?wait=300", json=body).json()
    assert task["status"] == "done", task["error"]
    srt = client.get(task["result"]["subtitles"]).text
    assert "100%{pts}" in srt and "[a] [b], c;" in srt and "\u202e" not in srt and "\u200b" not in srt
    video = tmp_path / "nasty.mp4"
    video.write_bytes(client.get(task["result"]["video"]).content)
    assert ffmpeg.probe(video).duration == pytest.approx(task["result"]["duration"], abs=0.3)
    assert json.dumps(task["result"])  # plain JSON all the way down
