"""A render's narration beside its clips (tiny weights): clip i is made while line i+1 is spoken,
the files are those of lines spoken first, and a failure, cancel or pause on either side stops both."""

import contextvars
import threading
import time
from types import SimpleNamespace

import pytest

from models.cancel import CancelToken
from models.errors import Cancelled, ModelError, Paused
from pipelines import voiced_clips
from pipelines.artifact_store import ArtifactStore
from pipelines.context import StageContext
from pipelines.render import ImageOptions, RenderOptions, VideoOptions, generate
from pipelines.specs import Shot
from pipelines.voiced_clips import speaks_beside
from tests.conftest import tiny_settings

SHOTS = [
    Shot(scene_id="s1", prompt="a lighthouse at dusk", narration="The keeper climbed the stairs."),
    Shot(scene_id="s2", prompt="a storm at sea", narration="A storm rolled in from the west."),
    Shot(scene_id="s3", prompt="a ship in the dark", narration="Far out, a ship turned towards the light."),
]
OPTIONS = RenderOptions(
    video=VideoOptions(fps=8, resolution="160x90", motion="kenburns"), image=ImageOptions(resolution="64x64", seed=3)
)
WAIT = 120.0  # seconds a gated line waits for the clip before the test fails


class Speaking:
    """The real speech runtime; `before` runs ahead of every synthesis."""

    def __init__(self, tts, before):
        self._tts, self._before = tts, before

    def __getattr__(self, name):
        return getattr(self._tts, name)

    def synthesize(self, *args, **kwargs):
        self._before()
        return self._tts.synthesize(*args, **kwargs)


class Registry:
    """The real registry, its speech runtime behind `Speaking`."""

    def __init__(self, registry, before):
        self._registry, self._before = registry, before

    def __getattr__(self, name):
        return getattr(self._registry, name)

    def get(self, role):
        runtime = self._registry.get(role)
        return Speaking(runtime, self._before) if role == "tts" else runtime


def run(registry, tmp_path, name, *, beside=True, before=lambda: None, cancel=None, told=None, options=OPTIONS):
    """`generate` up to the clips with the speech runtime wrapped; returns what it made and each
    file told, in order, as (scene_id, what)."""
    told = [] if told is None else told
    settings = tiny_settings(tmp_path / "data", narration_beside_clips="on" if beside else "off")
    ctx = StageContext(Registry(registry, before), settings, ArtifactStore(tmp_path / f"store-{name}"), tmp_path / name)
    ctx.cancel = cancel or CancelToken()
    ctx.on_item = lambda scene_id, what, path: told.append((scene_id, what))
    made = generate(list(SHOTS), ctx, options, until="clips")
    return made, told


def no_narration_thread() -> bool:
    return not any(thread.name == "narration" for thread in threading.enumerate())


def test_a_clip_is_made_while_the_next_line_is_spoken_and_the_files_are_the_same(registry, tmp_path):
    told: list[tuple[str, str]] = []

    def after_the_first_clip():  # line 2 waits until clip 1 is made: sequential speaking would time out
        if ("s1", "narration") in told:
            deadline = time.monotonic() + WAIT
            while ("s1", "clip") not in told:
                assert time.monotonic() < deadline, f"clip s1 was not made while line s2 waited: {told}"
                time.sleep(0.01)

    # The video model animates: both sides run torch at once, and neither moves the other's random numbers.
    animated = OPTIONS.model_copy(update={"video": OPTIONS.video.model_copy(update={"motion": "i2v"})})
    beside, _ = run(registry, tmp_path, "beside", before=after_the_first_clip, told=told, options=animated)
    assert told.index(("s1", "clip")) < told.index(("s2", "narration"))
    assert no_narration_thread()
    first, order = run(registry, tmp_path, "first", beside=False, options=animated)
    clips_start = order.index(("s1", "clip"))
    assert {what for _, what in order[:clips_start]} >= {"narration"} and ("s3", "narration") in order[:clips_start]
    for a, b in zip(beside.audios, first.audios, strict=True):
        assert a.audio.read_bytes() == b.audio.read_bytes() and a.cues == b.cues
    assert [(c.scene_id, c.duration, c.motion, c.clip.read_bytes()) for c in beside.clips] == [
        (c.scene_id, c.duration, "i2v", c.clip.read_bytes()) for c in first.clips
    ]
    assert set(beside.timings) >= {"narration", "clips"}


def test_a_line_that_fails_fails_the_render_and_stops_nothing_half_made(registry, tmp_path):
    calls = []

    def second_line_fails():
        calls.append(1)
        if len(calls) == 2:
            raise ModelError("the speech model ran out of memory")

    with pytest.raises(ModelError, match="out of memory") as failure:
        run(registry, tmp_path, "failing", before=second_line_fails)
    assert failure.value.stage == "narration"  # the task's error names it, not the clips started last
    assert no_narration_thread()
    assert not list((tmp_path / "failing").rglob(".*.part*"))


def test_a_line_that_fails_stops_the_clip_being_made(registry, tmp_path, monkeypatch):
    animate = voiced_clips.animate

    def slow_second_clip(ctx, specs, **kwargs):  # a long denoise, checking its cancel token between steps
        deadline = time.monotonic() + WAIT
        while specs[0].scene_id == "s2" and time.monotonic() < deadline:
            ctx.cancel.raise_if_cancelled()
            time.sleep(0.01)
        return animate(ctx, specs, **kwargs)

    monkeypatch.setattr(voiced_clips, "animate", slow_second_clip)
    calls = []

    def third_line_fails():
        calls.append(1)
        if len(calls) == 3:
            raise ModelError("the speech model ran out of memory")

    started = time.monotonic()
    with pytest.raises(ModelError, match="out of memory"):
        run(registry, tmp_path, "stopped", before=third_line_fails)
    assert time.monotonic() - started < WAIT / 2  # clip s2 stopped mid-way, not finished first
    assert no_narration_thread()


@pytest.mark.parametrize(("stop", "raised"), [("cancel", Cancelled), ("pause", Paused)])
def test_a_cancel_or_pause_while_a_line_is_spoken_stops_both_sides(registry, tmp_path, stop, raised):
    token = CancelToken()
    calls = []

    def stop_on_the_second_line():
        calls.append(1)
        if len(calls) == 2:
            getattr(token, stop)()

    with pytest.raises(raised):
        run(registry, tmp_path, stop, before=stop_on_the_second_line, cancel=token)
    assert no_narration_thread()
    assert not list((tmp_path / stop).rglob(".*.part*"))
    if stop == "pause":  # the line being spoken is finished, and kept: running again speaks only the last
        again = []
        made, _ = run(registry, tmp_path, stop, before=lambda: again.append(1))
        assert len(made.clips) == 3 and len(again) == 1


def test_lines_are_spoken_in_the_callers_context(registry, tmp_path):
    """The task a cluster's lease is credited to (server.worker.RUNNING) is a context variable: the
    thread speaking the lines sees the task thread's."""
    task = contextvars.ContextVar("task")
    task.set("re_1")
    seen = []
    run(registry, tmp_path, "context", before=lambda: seen.append((threading.current_thread().name, task.get(None))))
    assert seen and set(seen) == {("narration", "re_1")}


@pytest.mark.parametrize(
    ("setting", "residency", "device", "beside"),
    [
        ("auto", "all", "cuda", True),
        ("auto", "all", "ray:cuda", True),
        ("auto", "all", "cpu", False),  # the two would share the CPU's cores
        ("on", "all", "cpu", True),
        ("on", "stage", "cuda", False),  # loading one model would unload the other
        ("off", "all", "cuda", False),
    ],
)
def test_lines_are_spoken_beside_the_clips_where_the_models_stay_loaded_on_a_gpu(setting, residency, device, beside):
    settings = SimpleNamespace(narration_beside_clips=setting, residency=residency)
    ctx = SimpleNamespace(settings=settings, registry=SimpleNamespace(placement=SimpleNamespace(device=device)))
    assert speaks_beside(ctx) is beside


def test_a_child_token_stops_with_its_parent_and_alone():
    parent = CancelToken()
    child = parent.child()
    child.cancel()
    assert child.cancelled and not parent.cancelled
    other = parent.child()
    parent.pause()
    with pytest.raises(Paused):
        other.raise_if_cancelled(boundary=True)
    other.raise_if_cancelled()  # a pause waits for a boundary
    parent.cancel()
    with pytest.raises(Cancelled):
        other.raise_if_cancelled()
