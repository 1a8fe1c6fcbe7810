"""Helpers for driving the real app (lifespan, worker, SQLite) on the tiny weights."""

import contextlib
import shutil
import signal
import threading
import time

import pytest
from fastapi.testclient import TestClient

from models.registry import ModelRegistry
from server.app import create_app, registry_for
from tests.conftest import tiny_settings

STORY = "A fox saw the moon over the hill. The moon smiled back. They talked until dawn."
SMALL_OPTIONS = {
    "scene_count": 2,
    "image": {"resolution": "128x96", "seed": 1},
    "video": {"fps": 8, "resolution": "320x180", "motion": "kenburns"},
}


def small_render(story: str = STORY, **options) -> dict:
    return {"story": story, "options": {**SMALL_OPTIONS, **options}}


def wait_ready(client: TestClient, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, client.get("/readyz").json()
        time.sleep(0.1)


def wait_status(client: TestClient, task_id: str, *statuses: str, seconds: float = 120.0, **headers) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        task = client.get(f"/tasks/{task_id}", headers=headers).json()
        if task["status"] in statuses:
            return task
        assert time.monotonic() < deadline, task
        time.sleep(0.05)


@contextlib.contextmanager
def serve(data_dir, registry=None, headers=None, **overrides):
    """The app as `python -m server` builds it, lifespan included, ready before the test goes on."""
    settings = tiny_settings(data_dir, **overrides)
    app = create_app(settings, registry or registry_for(settings))
    with TestClient(app, raise_server_exceptions=False, headers=headers) as client:
        wait_ready(client)
        yield client


class Gate:
    """Wraps a runtime so its calls wait at a step boundary until the test opens the gate.

    While it waits it checks the cancel token the way the real step callback does, so a cancel
    arriving mid-task behaves as it would between two denoising steps.
    """

    def __init__(self, runtime):
        self.runtime = runtime
        self.entered = threading.Event()
        self.opened = threading.Event()

    def __getattr__(self, name):
        return getattr(self.runtime, name)

    def _hold(self, cancel) -> None:
        self.entered.set()
        while not self.opened.wait(0.02):
            if cancel is not None:
                cancel.raise_if_cancelled()

    def generate(self, *args, cancel=None, **kwargs):
        self._hold(cancel)
        return self.runtime.generate(*args, cancel=cancel, **kwargs)


class GatedRegistry(ModelRegistry):
    """The real registry, with the text-to-image runtime behind a Gate."""

    def __init__(self, settings):
        super().__init__(settings)
        self.gate = None

    def get(self, role):
        runtime = super().get(role)
        if role != "t2i":
            return runtime
        if self.gate is None or self.gate.runtime is not runtime:
            self.gate = Gate(runtime)
            self.gate.opened.set()  # open while the worker warms up
        return self.gate

    def close_gate(self) -> Gate:
        self.gate.opened.clear()
        self.gate.entered.clear()
        return self.gate


@pytest.fixture
def studio_server(tiny_weights, tmp_path, request):
    """A `python -m server` for one browser test (with API keys when the test asks)."""
    from tests.server.helpers import Server, server_env  # the helpers use this module's

    env = server_env(tiny_weights, tmp_path / "data", tts_backend="espeak", api_keys=getattr(request, "param", ""))
    with open(tmp_path / "server.log", "wb") as log:
        process = Server(env, log)
        process.start()
        yield process
        process.stop(signal.SIGTERM)


@pytest.fixture
def browser():
    """Debian's Chromium, driven by Playwright."""
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(
            executable_path=shutil.which("chromium"),
            args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"],
        )
        yield chromium
        chromium.close()
