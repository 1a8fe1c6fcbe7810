"""The server on a two-node Ray cluster on loopback (tiny weights, one `render_slot` per node): a
worker node killed mid-render costs only its item in flight, which is redone on the other node;
every render ends done, nothing finished is made twice, and a node that joins again takes work."""

import contextlib
import os
import secrets
import time
from collections import Counter

import pytest
from fastapi.testclient import TestClient

from cluster.pool import reread_ray_auth
from models.registry import ModelRegistry
from pipelines.artifact_store import ArtifactStore
from server.app import create_app, registry_for
from tests.conftest import tiny_settings
from tests.server.conftest import serve, wait_status

STORIES = [
    "The keeper climbed the stairs at dusk. He lit the great lamp. A small boat fought the waves.",
    "A fox saw the moon over the hill. The moon smiled back. They talked until dawn.",
    "The baker woke early. She kneaded the dough. The whole town smelled of bread.",
    "Rain fell on the old bridge. A girl waited with a red umbrella. Her brother came home at last.",
]
OPTIONS = {"scene_count": 3, "video": {"fps": 8, "resolution": "160x90", "motion": "kenburns"}}
RAY_ENVIRONMENT = {
    "RAY_AUTH_MODE": "token",  # the cluster and the server share a token; nothing else may join
    "RAY_AUTH_TOKEN": secrets.token_hex(32),
    # Ray's own switch for clusters on one machine: every node and the driver use 127.0.0.1
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_DEDUP_LOGS": "0",
}
FAST_FAILURE_DETECTION = {  # a dead raylet is noticed in about a second instead of Ray's default 30 s
    "health_check_initial_delay_ms": 0,
    "health_check_period_ms": 500,
    "health_check_failure_threshold": 3,
}


def render(story: str, seed: int) -> dict:
    return {"story": story, "options": {**OPTIONS, "image": {"resolution": "192x192", "seed": seed}}}


@contextlib.contextmanager
def ray_environment():
    saved = {name: os.environ.get(name) for name in RAY_ENVIRONMENT}
    os.environ.update(RAY_ENVIRONMENT)
    reread_ray_auth()  # an earlier test imported Ray with no token in the environment
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reread_ray_auth()


@pytest.fixture(scope="module")
def cluster():
    with ray_environment():
        from ray.cluster_utils import Cluster

        head = {"num_cpus": 1, "resources": {"render_slot": 1}, "include_dashboard": False}
        cluster = Cluster(initialize_head=True, head_node_args={**head, "_system_config": FAST_FAILURE_DETECTION})
        cluster.add_node(num_cpus=1, resources={"render_slot": 1})
        try:
            yield cluster
        finally:
            cluster.shutdown()


@pytest.fixture
def made(monkeypatch):
    """How many times each artifact key was made (written to the store), across all tasks."""
    counts: Counter[str] = Counter()
    making = ArtifactStore.making

    def counted(self, key, suffix):
        counts[key + suffix] += 1
        return making(self, key, suffix)

    monkeypatch.setattr(ArtifactStore, "making", counted)
    return counts


def wait_idle_slots(pool, count: int, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while sum(s.state == "idle" for s in pool.slots) < count:
        assert time.monotonic() < deadline, pool.status()
        time.sleep(0.2)


def busy_slot(pool, doing: str, node_id: str | None = None, seconds: float = 120.0):
    """Wait until a slot (on `node_id`) has just started a `doing` item (so what follows lands mid-item)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with pool.changed:
            for slot in pool.slots:
                fresh = time.time() - slot.since < 0.05
                if slot.state == "busy" and slot.doing == doing and fresh and node_id in (None, slot.node_id):
                    return slot
        time.sleep(0.005)
    raise AssertionError(f"no slot started {doing}")


def test_a_lost_worker_node_costs_only_its_item_in_flight(cluster, tiny_weights, tmp_path, made):
    worker = cluster.list_all_nodes()[1]
    settings = {"ray_address": cluster.address, "ray_resource": "render_slot", "t2i_batch": 1}
    with ray_environment(), serve(tmp_path, **settings) as client:
        pool = client.app.state.services.jobs.registry.pool
        wait_idle_slots(pool, 2)  # ready means one slot has loaded its models; wait for both
        assert sorted(s.node_id for s in pool.slots) == sorted(n.node_id for n in cluster.list_all_nodes())
        tasks = [
            client.post("/render", json=render(story, 10 + i)).json()["task_id"] for i, story in enumerate(STORIES)
        ]

        # the node has finished storyboards before: those stay finished; its keyframe in flight is lost
        victim = busy_slot(pool, "t2i.generate", worker.node_id)
        assert any(d["node_id"] == worker.node_id for d in pool.done)
        cluster.remove_node(worker, allow_graceful=False)  # its raylet, object store and slot die mid-item

        for task_id in tasks:
            task = wait_status(client, task_id, "done", "error", seconds=180)
            assert task["status"] == "done", task["error"]
        assert pool.lost_items, "the kill landed between two items"
        for lost in pool.lost_items:
            assert lost["slot"] == victim.index and lost["what"] == "t2i.generate"
            redone = [d for d in pool.done if d["item"] == lost["item"]]
            assert len(redone) == 1 and redone[0]["node_id"] != worker.node_id and redone[0]["attempt"] == 2
        done_items = [d["item"] for d in pool.done]
        assert len(done_items) == len(set(done_items))  # no item finished twice
        assert made and max(made.values()) == 1, made.most_common(3)  # no artifact made twice

        cluster.add_node(num_cpus=1, resources={"render_slot": 1})  # the node comes back
        wait_idle_slots(pool, 2)
        newcomer = max(pool.slots, key=lambda s: s.index)
        again = client.post("/render", json=render("The lamp burned all night. The boat reached the harbour.", 99))
        assert wait_status(client, again.json()["task_id"], "done", "error", seconds=120)["status"] == "done"
        assert newcomer.items > 0  # the new slot took work

        # a cancel reaches the denoising loop on the slot: the keyframe in flight never finishes
        big = render("A lighthouse stood alone on the cliff.", 7)
        big["options"]["image"].update(resolution="1024x1024", num_steps=8)  # about 2 s per keyframe
        task_id = client.post("/render", json=big).json()["task_id"]
        slot = busy_slot(pool, "t2i.generate")
        client.post(f"/tasks/{task_id}/cancel")
        cancelled_at = time.monotonic()
        assert wait_status(client, task_id, "cancelled", "error", "done")["status"] == "cancelled"
        while slot.state == "busy":
            time.sleep(0.01)
        assert time.monotonic() - cancelled_at < 1.5 and slot.state == "idle"
        assert not [d for d in pool.done if d["task_id"] == task_id and d["what"] == "t2i.generate"]

        local = ModelRegistry(client.app.state.settings)  # the same weights folder, device and dtype
        for role in ("llm", "t2i", "tts"):
            proxy = client.app.state.services.jobs.registry.get(role)
            assert proxy.identity == local.identity(role, proxy)  # artifact keys as without Ray

        system = client.get("/system").json()
        assert system["device"] == "ray:cpu" and {m["role"] for m in system["models"]} >= {"llm", "t2i", "tts"}
        # voices are answered from the slots' description, without a call that waits for a busy slot
        speech = client.app.state.services.jobs.registry.speech
        assert system["voices"] == list(dict.fromkeys(speech.character_voices("en") + speech.character_voices("zh")))
        with pytest.raises(ValueError):
            client.app.state.services.jobs.registry.check_voice("no-such-voice")
        status = system["cluster"]
        assert [n["alive"] for n in status["nodes"]].count(False) == 1
        assert {s["state"] for s in status["slots"]} == {"idle"}
        assert status["items_lost"] == len(pool.lost_items) and status["items_done"] == len(pool.done)


def test_no_head_at_the_address_is_a_clear_error_at_once(tiny_weights, tmp_path):
    settings = tiny_settings(tmp_path, ray_address="127.0.0.1:1", ray_resource="render_slot")
    with ray_environment(), TestClient(create_app(settings, registry_for(settings))) as client:
        deadline = time.monotonic() + 30
        while (answer := client.get("/readyz").json())["error"]["code"] == "not_ready":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert answer["error"]["code"] == "cluster_unavailable"
        assert "no Ray head answers at 127.0.0.1:1" in answer["error"]["message"]
