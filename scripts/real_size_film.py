"""A whole film through the server's own path, on random-weight models of the real configurations
(issue 24): `python scripts/bench_real_size.py --film --weights /tmp/real`.

The app is built as `python -m server` builds it (settings, registry, job table, GPU worker,
ffmpeg pool) and driven over HTTP in-process: POST /projects with a six-sentence story (~30 s of
narration), polled until its storyboard is ready (when its first shot appeared is recorded), then
POST /projects/<id>/render to the video. One row gives the wall time, each task's stage timings,
the first shot's time, the LLM's tokens and tokens/s, the GPU's peak memory and the film's
real-time factor (wall / film length). Load and warm-up (compiles included) come before the clock
starts and are reported apart.

Random weights: the LLM writes noise under the JSON schema and may not close it within the token
budget (`--film-llm-tokens`, about a real storyboard's length); the scenes it did not finish come
from the rules, so the storyboard's time is that of the budget. Narration is espeak-ng (no weights
to build; the licence-clean set's engine). `--scale tiny --small` runs the same code on CPU.
"""

import time
from pathlib import Path

import make_real_size_weights as real
import torch

from models.registry import ModelRegistry
from settings import Settings

STORY = (
    "At dusk the old keeper climbed the spiral stairs and lit the great lamp once more. "
    "Far out beyond the rocks a small fishing boat was fighting the rising winter waves. "
    "The beam swept slowly across the dark water and found the little boat at last. "
    "The sailors saw the light, turned their bow and steered for the narrow harbour mouth. "
    "By midnight the boat was tied safely at the quay below the white stone tower. "
    "The keeper watched them walk home, then sat down by the lamp with his tea."
)
SCENES = 6
FILM_ROLES = ("llm", "i2v-wan", "music")  # and the keyframe model `--film-t2i` names
POLL_SECONDS = 0.05


def film_settings(weights: Path, data_dir: Path, args) -> Settings:
    """The server's settings for the film: the built folders, distilled Wan (4 steps, no CFG) at its
    native 1280x704 and 121 frames, espeak-ng narration, an ACE-Step bed; `--small`: tiny sizes."""
    small = args.small
    return Settings(
        weights_dir=weights,
        data_dir=data_dir,
        t2i_model=args.film_t2i,
        i2v_model="i2v-wan",
        tts_backend="espeak",
        i2v_frames=9 if small else 121,
        i2v_steps=2 if small else 4,
        i2v_guidance=1.0,
        i2v_resolution="64x64" if small else "1280x704",
        llm_max_new_tokens=64 if small else args.film_llm_tokens,
        compile_blocks=args.compiled_clip,
        fp8="auto" if args.compiled_clip else "off",
        residency="all",
    )


def render_options(small: bool) -> dict:
    return {
        "scene_count": SCENES,
        "image": {"resolution": "64x64" if small else "1024x576", "num_steps": 1 if small else 4, "seed": 1},
        "video": {"fps": 8 if small else 24, "resolution": "160x90" if small else "720p", "motion": "i2v"},
        "music": True,
    }


def waited(client, task_id: str, limit: float) -> dict:
    deadline = time.monotonic() + limit
    while True:
        task = client.get(f"/tasks/{task_id}").json()
        if task["status"] in ("done", "error", "cancelled"):
            return task
        if time.monotonic() > deadline:
            raise TimeoutError(f"task {task_id} still {task['status']} after {limit:.0f} s")
        time.sleep(POLL_SECONDS)


def film(client, small: bool, limit: float) -> dict:
    """The film, timed from the project's creation to its video."""
    started = time.monotonic()
    body = {"title": "The keeper", "story": STORY, "options": render_options(small)}
    created = client.post("/projects", json=body)
    created.raise_for_status()
    project_id, storyboard_id = created.json()["project_id"], created.json()["task_id"]
    first_shot = None
    while True:
        project = client.get(f"/projects/{project_id}").json()
        if first_shot is None and project["shots"]:
            first_shot = time.monotonic() - started
        if project["status"] != "storyboarding":
            break
        if time.monotonic() - started > limit:
            raise TimeoutError("the storyboard did not finish")
        time.sleep(POLL_SECONDS)
    storyboard = waited(client, storyboard_id, limit)
    storyboard_done = time.monotonic() - started
    answer = client.post(f"/projects/{project_id}/render", json={})
    answer.raise_for_status()
    render = waited(client, answer.json()["task_id"], limit)
    wall = time.monotonic() - started
    project = client.get(f"/projects/{project_id}").json()
    duration = project["renders"][-1]["duration"] if project["renders"] else None
    return {
        "wall_s": round(wall, 2),
        "first_shot_s": round(first_shot, 2) if first_shot is not None else None,
        "storyboard_s": round(storyboard_done, 2),
        "stages_s": {"storyboard": storyboard["timings"], "render": render["timings"]},
        "status": {"storyboard": storyboard["status"], "render": render["status"]},
        "error": render["error"] or storyboard["error"],
        "warnings": storyboard["warnings"] + render["warnings"],
        "shots": len(project["shots"]),
        "film_s": duration,
        "real_time_factor": round(wall / duration, 3) if duration else None,
    }


def run_film(args, report, placement) -> None:
    """Build the film's roles, serve them, time one film; one row per build, then the film's row."""
    from fastapi.testclient import TestClient

    from server.app import create_app

    for role in (*FILM_ROLES, args.film_t2i):
        started = time.perf_counter()
        real.build(args.weights, role, args.scale, placement.device, placement.dtype)
        report.add({"role": role, "what": "build", "seconds": round(time.perf_counter() - started, 1)})
    settings = film_settings(args.weights, args.weights / "data", args)
    registry = ModelRegistry(settings, placement)
    app = create_app(settings, registry)
    started = time.perf_counter()
    with TestClient(app, raise_server_exceptions=True) as client:
        while client.get("/readyz").status_code != 200:  # the worker loads and warms every role first
            if time.perf_counter() - started > args.film_limit:
                raise TimeoutError("the server did not get ready")
            time.sleep(POLL_SECONDS)
        ready = time.perf_counter() - started
        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
        row = film(client, args.small, args.film_limit)
        llm = registry.get("llm")
        stats = llm.decoder.stats
        row.update(
            llm_decode=llm.decoder.mode,
            llm_tokens=stats.tokens,
            llm_tokens_per_s=round(stats.tokens / stats.decode_seconds, 1) if stats.decode_seconds else None,
            peak_vram_gb=round(torch.cuda.max_memory_allocated() / 2**30, 2) if torch.cuda.is_available() else 0.0,
            load_and_warm_s=round(ready, 1),
            models=client.get("/system").json().get("models"),
        )
    report.add({"role": "film", "what": f"{SCENES}-shot film, {args.film_t2i} + i2v-wan + espeak + music", **row})
