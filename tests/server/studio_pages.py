"""What the studio's editor tests share: one `python -m server` on the tiny weights for a test module,
started on first use (a capability probe may be the first), projects made through the API, pages in
Debian's Chromium that record every console error and failed request, and probes of what the
running server offers, for the tests that wait on a server change (`pytest.mark.skipif`)."""

import atexit
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import ClassVar

import httpx
import make_tiny_weights

from tests.conftest import TINY
from tests.server.helpers import Server, server_env

STORY = "The keeper climbed the stairs at dusk. He lit the great lamp. A small boat turned toward the light."
ZH_STORY = "灯塔看守人在黄昏时爬上楼梯。他点亮了那盏大灯。一条小船朝着灯光驶来。"
# Small pictures and few frames: the tests check the page, not the pictures.
FAST = {"image": {"resolution": "256x144"}, "video": {"resolution": "480p", "fps": 8, "motion": "kenburns"}}


class Running:
    """The module's server: started once, stopped at the module's end (or the interpreter's)."""

    server: Server | None = None
    client: httpx.Client | None = None
    data: Path | None = None
    probes: ClassVar[dict[str, bool]] = {}


def running() -> tuple[Server, httpx.Client]:
    if Running.server is None:
        make_tiny_weights.build(TINY)  # idempotent: a no-op when the stamps match
        Running.data = Path(tempfile.mkdtemp(prefix="s2v-studio-"))
        env = server_env(TINY, Running.data, tts_backend="espeak", i2v_resolution="128x96", i2v_frames="17")
        log = open(Running.data / "server.log", "wb")  # noqa: SIM115 - open while the server runs
        Running.server = Server(env, log)
        Running.client = Running.server.start()
        atexit.register(stop)
    return Running.server, Running.client


def stop() -> None:
    if Running.server is not None:
        Running.server.stop(signal.SIGTERM)
        Running.client.close()
        Running.server.log.close()
        shutil.rmtree(Running.data, ignore_errors=True)
    Running.server, Running.client, Running.probes = None, None, {}


def serves(capability: str) -> bool:
    """Whether the running server does what a test waits for (issue 26's server part):
    - "versions": a project answers with an ETag that If-Match can name;
    - "error_limits": a 400 says why (`reason`) with its `limit` (a story one character too long);
    - "soft_subtitles": a project may ask for subtitles as a soft track."""
    if capability not in Running.probes:
        _, client = running()
        if capability == "versions":
            project = client.post("/projects", json={"story": STORY, "options": {"scene_count": 1}}).json()
            Running.probes[capability] = "ETag" in client.get(f"/projects/{project['project_id']}").headers
            client.delete(f"/projects/{project['project_id']}")
        elif capability == "error_limits":
            error = client.post("/projects", json={"story": "x" * 20_001}).json()["error"]
            Running.probes[capability] = error.get("reason") == "too_long" and error.get("limit") == 20_000
        elif capability == "soft_subtitles":
            answer = client.post("/projects", json={"story": STORY, "options": {"scene_count": 1, "subtitles": "soft"}})
            Running.probes[capability] = answer.status_code == 201
            if answer.status_code == 201:
                client.delete(f"/projects/{answer.json()['project_id']}")
    return Running.probes[capability]


def wait_task(client: httpx.Client, task_id: str, *statuses: str, seconds: float = 180) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        task = client.get(f"/tasks/{task_id}").json()
        if task["status"] in (statuses or ("done",)):
            return task
        assert task["status"] not in ("error", "cancelled") or task["status"] in statuses, task
        assert time.monotonic() < deadline, task
        time.sleep(0.2)


def new_project(client: httpx.Client, story: str = STORY, scenes: int = 3, **body) -> dict:
    """A project whose storyboard is written (its shots in place, the task done)."""
    options = {**FAST, "scene_count": scenes, **body.pop("options", {})}
    project = client.post("/projects", json={"story": story, "options": options, **body})
    assert project.status_code == 201, project.text
    wait_task(client, project.json()["task_id"])
    return client.get(f"/projects/{project.json()['project_id']}").json()


def rendered(client: httpx.Client, project_id: str) -> dict:
    task = client.post(f"/projects/{project_id}/render", json={}).json()
    wait_task(client, task["task_id"])
    return client.get(f"/projects/{project_id}").json()


def shots_of(client: httpx.Client, project_id: str) -> list[dict]:
    return client.get(f"/projects/{project_id}").json()["shots"]


def watched_page(browser, language: str = "en", viewport=(1280, 800)):
    """A page in `language` that records console errors, page errors and failed requests."""
    locale = "zh-CN" if language == "zh" else "en-US"
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]}, locale=locale)
    page.add_init_script(f"localStorage.setItem('s2v.lang', '{language}')")
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: cut_short(r) or problems.append(f"failed: {r.url} {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status}: {r.url}"))
    return page, problems


def cut_short(request) -> bool:
    """A clip or sound whose player was closed before it had read the whole file: the browser cancels
    the rest of the read, as it should; not a failure of the page or the server."""
    return request.failure == "net::ERR_ABORTED" and request.resource_type == "media"


def open_project(page, url: str, project_id: str) -> None:
    page.goto(f"{url}/#/p/{project_id}")
    page.locator(".shot-card").first.wait_for()
    page.locator(".timeline-item").first.wait_for()


def refused(problems: list[str], status: int) -> list[str]:
    """`problems` less the refused requests of `status` (the response and the console's line about it)."""
    return [p for p in problems if not (p.startswith(f"{status}: ") or f"status of {status}" in p)]
