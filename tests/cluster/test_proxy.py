"""The cluster's rules without a cluster: an item lost with its slot runs again on another, up to a
cap, then fails clearly; a proxy keeps the cancel token and progress hook here and sends the rest."""

import contextlib

import pytest

from cluster.proxy import ClusterError, RuntimeProxy, SlotLost, with_retries
from models.cancel import CancelToken
from models.errors import Cancelled


class FakePool:
    """Slots 1, 2, 3, ... in turn; `fail` says which attempts lose their slot."""

    def __init__(self, fail: set[int] = frozenset()):
        self.fail = fail
        self.leases: list[tuple[str, int]] = []
        self.lost_slots: list[int] = []
        self.calls: list[dict] = []

    @contextlib.contextmanager
    def lease(self, cancel, what):
        if cancel is not None:
            cancel.raise_if_cancelled()
        slot = len(self.leases) + 1
        self.leases.append((what, slot))
        yield slot

    def lost(self, slot, item_id, what, reason):
        self.lost_slots.append(slot)

    def call(self, slot, item_id, attempt, role, method, kwargs, cancel, hooks):
        self.calls.append({"attempt": attempt, "role": role, "method": method, "kwargs": kwargs, "item": item_id})
        if attempt in self.fail:
            raise SlotLost(f"slot {slot} died")
        if "on_step" in hooks:
            hooks["on_step"](1, 1)
        if "on_text" in hooks:
            hooks["on_text"]('{"a":')
        return f"{method} on slot {slot}"


class Runtime:
    def generate(self, prompts, seeds, width, height, steps=4, cancel=None, on_step=None):
        raise AssertionError("a proxy never runs the local class")


def proxy(pool, attempts=3) -> RuntimeProxy:
    return RuntimeProxy(pool, "t2i", Runtime, {"identity": "abc", "name": "tiny"}, attempts)


def test_an_item_lost_with_its_slot_runs_again_on_another():
    pool = FakePool(fail={1, 2})
    assert proxy(pool).generate(["a fox"], [1], 64, 64) == "generate on slot 3"
    assert pool.lost_slots == [1, 2]
    assert [c["attempt"] for c in pool.calls] == [1, 2, 3]
    assert len({c["item"] for c in pool.calls}) == 1  # one item, three attempts


def test_past_the_cap_the_item_fails_with_a_clear_error():
    pool = FakePool(fail={1, 2})
    with pytest.raises(ClusterError) as raised:
        proxy(pool, attempts=2).generate(["a fox"], [1], 64, 64)
    assert raised.value.code == "cluster_unavailable"
    assert "t2i.generate was lost with its render slot 2 times" in str(raised.value)
    assert "slot 2 died" in str(raised.value) and "S2V_RAY_MAX_ATTEMPTS" in str(raised.value)


def test_other_failures_are_not_retried():
    def work(slot, item_id, attempt):
        raise ValueError("width and height must be multiples of 8")

    pool = FakePool()
    with pytest.raises(ValueError):
        with_retries(pool, "t2i.generate", work, None, 3)
    assert len(pool.leases) == 1 and pool.lost_slots == []


def test_the_cancel_token_and_progress_hook_stay_here():
    pool, steps, cancel = FakePool(), [], CancelToken()
    proxy(pool).generate(["a fox"], [7], 64, 32, 2, cancel, lambda i, n: steps.append((i, n)))
    sent = pool.calls[0]["kwargs"]
    assert sent == {"prompts": ["a fox"], "seeds": [7], "width": 64, "height": 32, "steps": 2}
    assert steps == [(1, 1)]


class Writer:
    def generate_json(self, messages, schema, max_new_tokens=2048, cancel=None, on_text=None):
        raise AssertionError("a proxy never runs the local class")


def test_an_llms_text_hook_stays_here():
    pool, pieces = FakePool(), []
    llm = RuntimeProxy(pool, "llm", Writer, {"identity": "q"}, 3)
    llm.generate_json([{"role": "user", "content": "x"}], {"type": "object"}, 64, on_text=pieces.append)
    assert pool.calls[0]["kwargs"] == {
        "messages": [{"role": "user", "content": "x"}],
        "schema": {"type": "object"},
        "max_new_tokens": 64,
    }
    assert pieces == ['{"a":']


def test_a_cancelled_task_takes_no_slot():
    pool, cancel = FakePool(), CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        proxy(pool).generate(["a fox"], [1], 64, 64, cancel=cancel)
    assert pool.calls == []


def test_attributes_come_from_the_slots_description():
    runtime = proxy(FakePool())
    assert (runtime.identity, runtime.name) == ("abc", "tiny")
    with pytest.raises(AttributeError):
        _ = runtime.sample_rate
    with pytest.raises(TypeError):  # the local signature is checked before anything is sent
        runtime.generate(["a fox"], [1], 64, 64, colour="red")
