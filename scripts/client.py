"""Render a story through a running server, with a live progress bar from the task's event stream.

python scripts/client.py STORY.txt [--url http://127.0.0.1:8000] [--api-key KEY] [--scenes N]
    [--resolution 720p] [--fps 24] [--motion i2v|kenburns|static] [--out FILE.mp4]

Waits for /readyz, submits /render with an Idempotency-Key derived from the story and options (run
it again and it reattaches to the same task), follows /tasks/<id>/events, prints the video URL and,
with --out, downloads the mp4 and its .srt. Ctrl-C cancels the task.

`client.py project ...` drives projects (new, show, edit, regenerate, render, export, import): see client_projects.py.
"""

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

import client_projects
import httpx
from client_common import download, follow, wait_ready


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("story", type=Path)
    p.add_argument("--url", default=os.environ.get("S2V_URL", "http://127.0.0.1:8000"))
    p.add_argument("--api-key", default=os.environ.get("S2V_API_KEY"))
    p.add_argument("--scenes", type=int)
    p.add_argument("--style")
    p.add_argument("--resolution", default="720p")
    p.add_argument("--fps", type=int, default=24)
    p.add_argument("--motion", default="i2v", choices=["i2v", "kenburns", "static"])
    p.add_argument("--aspect", default="16:9", choices=["16:9", "9:16", "1:1"])
    p.add_argument("--out", type=Path, help="download the mp4 (and .srt beside it) here")
    p.add_argument("--ready-timeout", type=float, default=600.0)
    p.add_argument("--server-pid", type=int, help="fail fast if this process exits while we wait")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["project"]:
        return client_projects.main(argv[1:])
    args = parser().parse_args(argv)
    story = args.story.read_text(encoding="utf-8")
    options = {
        "scene_count": args.scenes,
        "video": {"fps": args.fps, "resolution": args.resolution, "motion": args.motion},
        "aspect": args.aspect,
    }
    body = {"story": story, "options": options, **({"style": args.style} if args.style else {})}
    key = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32]
    headers = {"X-API-Key": args.api_key} if args.api_key else {}
    with httpx.Client(base_url=args.url, headers=headers, timeout=60) as client:
        wait_ready(client, args.ready_timeout, args.server_pid)
        answer = client.post("/render", json=body, headers={"Idempotency-Key": key})
        if answer.status_code not in (200, 202):
            error = answer.json()["error"]
            print(f"refused ({answer.status_code}): {error['message']} [{error.get('field')}]", file=sys.stderr)
            return 1
        task_id, status = answer.json()["task_id"], answer.json()["status"]
        print(f"task {task_id}: {args.url}/tasks/{task_id}")
        if status != "pending":  # the Idempotency-Key found the same request from an earlier run
            print(f"the server already has this render ({status}); following it instead of starting again")
        try:
            follow(client, task_id)
        except KeyboardInterrupt:
            client.post(f"/tasks/{task_id}/cancel")
            print(f"cancelled {task_id}", file=sys.stderr)
            return 130
        task = client.get(f"/tasks/{task_id}").json()
        if task["status"] != "done":
            error = task["error"] or {}
            print(f"{task['status']}: {error.get('code')}: {error.get('message')}", file=sys.stderr)
            return 1
        result = task["result"]
        for warning in task["warnings"]:
            print(f"warning: {warning}", file=sys.stderr)
        timings = ", ".join(f"{stage} {seconds:.1f}s" for stage, seconds in task["timings"].items())
        print(f"rendered {result['duration']:.1f}s of video ({timings})")
        print(f"video: {args.url}{result['video']}")
        if result["subtitles"]:
            print(f"subtitles: {args.url}{result['subtitles']}")
        if args.out:
            download(client, result["video"], args.out)
            if result["subtitles"]:
                download(client, result["subtitles"], args.out.with_suffix(".srt"))
            print(f"saved: {args.out.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
