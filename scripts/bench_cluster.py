"""Ray benchmark: a batch of stories on N render slots against one, and the cost of sending one item
through Ray instead of calling the runtime in this process.

python scripts/bench_cluster.py [--stories 4] [--slots 2] [--calls 200]

Runs the server in this process on the tiny weights, three ways, each on a fresh data folder (no
artifact is found from an earlier run): the in-process GPU worker (no Ray), a one-node Ray cluster
on loopback with one `render_slot`, and the same with `--slots` slots. Then, with one slot, it
times a trivial item (`i2v.frame_count`, arithmetic only: what is left is dispatch) and a small
real one (one 64x64 keyframe, one step) through a proxy and through the local runtime.
Prints tables; writes data/bench/cluster.json.
"""

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# Before Ray is imported: a token for the cluster, and every node and the driver on 127.0.0.1.
os.environ.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=secrets.token_hex(32), RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0")

from fastapi.testclient import TestClient  # noqa: E402

from models.registry import ModelRegistry  # noqa: E402
from server.app import create_app, registry_for  # noqa: E402
from settings import Settings  # noqa: E402

STORIES = [
    "The keeper climbed the stairs at dusk. He lit the great lamp. A small boat fought the waves.",
    "A fox saw the moon over the hill. The moon smiled back. They talked until dawn.",
    "The baker woke early. She kneaded the dough. The whole town smelled of bread.",
    "Rain fell on the old bridge. A girl waited with a red umbrella. Her brother came home at last.",
    "The old clock stopped at noon. The boy opened it. A tiny bird lived inside.",
    "Snow covered the village. The children built a tall tower. The sun melted it by evening.",
]
OPTIONS = {"scene_count": 3, "video": {"fps": 12, "resolution": "320x180", "motion": "kenburns"}}


def settings_for(data_dir: Path, **overrides) -> Settings:
    return Settings(
        weights_dir=ROOT / "weights" / "tiny",
        data_dir=data_dir,
        device="cpu",
        i2v_frames=9,
        i2v_steps=2,
        i2v_resolution="128x96",
        llm_max_new_tokens=3000,
        **overrides,
    )


@contextmanager
def cluster_of(slots: int):
    from ray.cluster_utils import Cluster

    head = {"num_cpus": max(slots, 1), "resources": {"render_slot": slots}, "include_dashboard": False}
    cluster = Cluster(initialize_head=True, head_node_args=head)
    try:
        yield cluster
    finally:
        cluster.shutdown()


@contextmanager
def server(settings: Settings):
    started = time.perf_counter()
    with TestClient(create_app(settings, registry_for(settings)), raise_server_exceptions=False) as client:
        while client.get("/readyz").status_code != 200:
            time.sleep(0.1)
        client.ready_seconds = time.perf_counter() - started
        yield client


def run_batch(client: TestClient, count: int) -> float:
    started = time.perf_counter()
    bodies = [
        {"story": story, "options": {**OPTIONS, "image": {"resolution": "256x256", "seed": i}}}
        for i, story in enumerate((STORIES * 4)[:count])
    ]
    ids = [client.post("/render", json=body).json()["task_id"] for body in bodies]
    for task_id in ids:
        while (task := client.get(f"/tasks/{task_id}").json())["status"] not in ("done", "error", "cancelled"):
            time.sleep(0.1)
        if task["status"] != "done":
            raise SystemExit(f"{task_id} ended {task['status']}: {task['error']}")
    return time.perf_counter() - started


def timed(call, times: int) -> float:
    """Median seconds of `call()`."""
    seconds = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def dispatch_costs(registry, local: ModelRegistry, calls: int) -> dict[str, float]:
    t2i_args = (["a lighthouse at dusk"], [1], 64, 64)
    remote_i2v, local_i2v = registry.get("i2v"), local.get("i2v")
    remote_t2i, local_t2i = registry.get("t2i"), local.get("t2i")
    return {
        "trivial_local_ms": 1000 * timed(lambda: local_i2v.frame_count(25), calls),
        "trivial_ray_ms": 1000 * timed(lambda: remote_i2v.frame_count(25), calls),
        "keyframe_local_ms": 1000 * timed(lambda: local_t2i.generate(*t2i_args, steps=1), 20),
        "keyframe_ray_ms": 1000 * timed(lambda: remote_t2i.generate(*t2i_args, steps=1), 20),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stories", type=int, default=4)
    p.add_argument("--slots", type=int, default=2)
    p.add_argument("--calls", type=int, default=200)
    args = p.parse_args()
    results: dict = {"date": time.strftime("%Y-%m-%d"), "stories": args.stories, "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        with server(settings_for(root / "local")) as client:
            results["in_process"] = {"ready_s": client.ready_seconds, "batch_s": run_batch(client, args.stories)}
        for slots in sorted({1, args.slots}):
            with cluster_of(slots) as cluster:
                ray = {"ray_address": cluster.address, "ray_resource": "render_slot"}
                with server(settings_for(root / f"ray-{slots}", **ray)) as client:
                    pool = client.app.state.services.jobs.registry.pool
                    while sum(s.state == "idle" for s in pool.slots) < slots:  # every slot's models loaded
                        time.sleep(0.2)
                    entry = {"ready_s": client.ready_seconds, "batch_s": run_batch(client, args.stories)}
                    if slots == 1:
                        local = ModelRegistry(settings_for(root / "dispatch"))
                        entry["dispatch"] = dispatch_costs(client.app.state.services.jobs.registry, local, args.calls)
                    results[f"ray_{slots}"] = entry
    report(results, args.slots)
    out = ROOT / "data" / "bench" / "cluster.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"\nwritten to {out}")
    return 0


def report(results: dict, slots: int) -> None:
    base, one, many = results["in_process"], results["ray_1"], results[f"ray_{slots}"]
    print(f"\n{results['stories']} stories, 3 scenes each, 256x256 keyframes, 320x180 pan/zoom clips")
    print("| variant | ready | batch | speed-up over 1 slot |\n|---|---|---|---|")
    print(f"| in-process worker (no Ray) | {base['ready_s']:.1f} s | {base['batch_s']:.2f} s | |")
    print(f"| Ray, 1 render slot | {one['ready_s']:.1f} s | {one['batch_s']:.2f} s | 1.00x |")
    if slots != 1:
        print(
            f"| Ray, {slots} render slots | {many['ready_s']:.1f} s | {many['batch_s']:.2f} s "
            f"| {one['batch_s'] / many['batch_s']:.2f}x |"
        )
    d = one["dispatch"]
    print("\n| one item | in-process | through Ray | overhead |\n|---|---|---|---|")
    for name, label in (("trivial", "trivial (`i2v.frame_count`)"), ("keyframe", "one 64x64 keyframe, 1 step")):
        local, remote = d[f"{name}_local_ms"], d[f"{name}_ray_ms"]
        print(f"| {label} | {local:.3f} ms | {remote:.2f} ms | +{remote - local:.2f} ms |")


if __name__ == "__main__":
    sys.exit(main())
