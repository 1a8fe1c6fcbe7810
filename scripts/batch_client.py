"""`batch_render.py --server URL`: a batch of stories submitted to a running server (one machine or
a Ray cluster behind it) and followed there, so one scheduler and one job table serve both.

Every story is submitted at once with an Idempotency-Key made from its body (a second run finds
the same tasks instead of starting over); the server queues what it cannot run yet, and a 429
(queue full) is waited out as its Retry-After says. Finished videos and subtitles are downloaded.
"""

import hashlib
import json
import sys
import time
from pathlib import Path

import httpx
from client_common import download
from tqdm import tqdm

POLL_SECONDS = 1.0
FINAL = ("done", "error", "cancelled")


def render_body(story: str, args) -> dict:
    """The /render body render.py's options describe."""
    options = {
        "scene_count": args.scenes,
        "image": {"resolution": args.image_resolution, "seed": args.seed},
        "video": {"fps": args.fps, "resolution": args.resolution, "motion": args.motion, "transition": args.transition},
        "voice": args.voice,
        "speed": args.speed,
        "music": args.music,
        "subtitles": not args.no_subtitles,
        "aspect": args.aspect,
    }
    return {"story": story, "style": args.style, "options": options}


def submit(client: httpx.Client, body: dict) -> str:
    """The task's id, once the server has taken it; raises ValueError with the server's reason."""
    key = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32]
    while True:
        answer = client.post("/render", json=body, headers={"Idempotency-Key": key})
        if answer.status_code == 429:  # the queue is full: it drains as renders finish
            time.sleep(float(answer.headers.get("Retry-After", "5")))
            continue
        if answer.status_code not in (200, 202):
            error = answer.json()["error"]
            raise ValueError(f"refused ({answer.status_code}): {error['message']} [{error.get('field')}]")
        return answer.json()["task_id"]


def render_on_server(client: httpx.Client, todo: list[tuple[str, Path]], out_dir: Path, args) -> list[tuple[str, str]]:
    """Submit every story, follow them all, download each video; returns (name, reason) per failure."""
    failures, tasks = [], {}
    for name, path in todo:
        try:
            tasks[submit(client, render_body(path.read_text(encoding="utf-8"), args))] = name
        except (ValueError, OSError) as error:
            failures.append((name, str(error)))
    with tqdm(total=len(tasks), unit="story") as bar:
        while tasks:
            for task_id, name in list(tasks.items()):
                task = client.get(f"/tasks/{task_id}").json()
                if task["status"] not in FINAL:
                    continue
                del tasks[task_id]
                bar.update(1)
                if task["status"] != "done":
                    failures.append((name, f"{task['status']}: {(task['error'] or {}).get('message')}"))
                    bar.write(f"FAILED {name}")
                    continue
                out = out_dir / f"{name}.mp4"
                download(client, task["result"]["video"], out)
                if task["result"]["subtitles"]:
                    download(client, task["result"]["subtitles"], out.with_suffix(".srt"))
                bar.write(f"done   {name} -> {out} ({task_id})")
            if tasks:
                time.sleep(POLL_SECONDS)
    return failures


def main(args, todo: list[tuple[str, Path]]) -> list[tuple[str, str]]:
    headers = {"X-API-Key": args.api_key} if args.api_key else {}
    with httpx.Client(base_url=args.server, headers=headers, timeout=60) as client:
        try:
            if client.get("/readyz").status_code == 401:
                sys.exit(f"{args.server}: this server needs an API key (--api-key)")
        except httpx.TransportError as error:
            sys.exit(f"{args.server} is not reachable: {error}")
        return render_on_server(client, todo, args.out, args)
