"""What a render slot does with one item, without Ray: progress streams while it runs, a cancel
from another thread stops its loop at the next step, its errors reach the caller."""

import threading
import time

import pytest

from cluster.calls import CallRunner, plain_attributes
from models.errors import Cancelled, ModelError


class SlowRuntime:
    identity = "slow-1"
    sample_rate = 16000

    def __init__(self):
        self.steps_run = 0
        self.model = object()  # not plain data: never described

    def generate(self, steps: int, cancel=None, on_step=None) -> str:
        for step in range(1, steps + 1):
            time.sleep(0.02)
            if cancel:
                cancel.raise_if_cancelled()  # as diffusers' step callback does
            self.steps_run = step
            if on_step:
                on_step(step, steps)
        return f"made in {steps} steps"

    def write(self, pieces: list[str], cancel=None, on_text=None) -> str:  # as the LLM streams its JSON
        for piece in pieces:
            on_text(piece)
        return "".join(pieces)

    def speak(self, text: str) -> str:  # no cancel or progress arguments: none are passed
        if not text:
            raise ModelError("nothing to say")
        return text.upper()


class Registry:
    def __init__(self):
        self.runtime = SlowRuntime()

    def get(self, role):
        return self.runtime


def test_progress_then_the_result():
    runner = CallRunner(Registry())
    updates = list(runner.run("c1", "t2i", "generate", {"steps": 12}))
    assert updates[-1] == ("result", "made in 12 steps")
    steps = [u for u in updates if u[0] == "step"]
    assert steps and steps[-1] == ("step", 12, 12)
    assert len(steps) < 12  # throttled: a fast loop does not flood the driver


def test_a_cancel_stops_the_loop_mid_item():
    runner = CallRunner(Registry())
    threading.Timer(0.15, runner.cancel, ["c2"]).start()
    with pytest.raises(Cancelled):
        list(runner.run("c2", "t2i", "generate", {"steps": 500}))
    assert 0 < runner.registry.runtime.steps_run < 50


def test_a_cancel_that_arrives_first_stops_the_item_before_it_starts():
    runner = CallRunner(Registry())
    runner.cancel("c3")
    with pytest.raises(Cancelled):
        list(runner.run("c3", "t2i", "generate", {"steps": 5}))
    assert runner.registry.runtime.steps_run == 0


def test_errors_and_methods_without_hooks():
    runner = CallRunner(Registry())
    assert list(runner.run("c4", "tts", "speak", {"text": "hi"})) == [("result", "HI")]
    with pytest.raises(ModelError, match="nothing to say"):
        list(runner.run("c5", "tts", "speak", {"text": ""}))


def test_a_caller_that_stops_listening_stops_the_work():
    runner = CallRunner(Registry())
    updates = runner.run("c6", "t2i", "generate", {"steps": 500})
    next(updates)
    updates.close()
    time.sleep(0.1)
    ran = runner.registry.runtime.steps_run
    time.sleep(0.1)
    assert runner.registry.runtime.steps_run == ran < 500


def test_only_plain_data_is_described():
    described = plain_attributes(SlowRuntime())
    assert described == {"identity": "slow-1", "sample_rate": 16000, "steps_run": 0}


def test_every_piece_of_text_arrives_in_order():
    pieces = [f"{i}," for i in range(2000)]
    updates = list(CallRunner(Registry()).run("c7", "llm", "write", {"pieces": pieces}))
    assert updates[-1] == ("result", "".join(pieces))
    texts = [u[1] for u in updates if u[0] == "text"]
    assert "".join(texts) == "".join(pieces)  # none dropped, unlike progress (pieces waiting go as one)
