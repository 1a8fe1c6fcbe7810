"""`client.py project ...`: drive a project from a shell (create, show, edit a shot, regenerate, render).

python scripts/client.py project new STORY.txt [--title T] [--scenes N] [--resolution 720p] [--fps 24] [--motion M]
python scripts/client.py project show PROJECT
python scripts/client.py project edit PROJECT SHOT [--prompt P] [--narration N] [--camera C] [--duration S]
    [--emotion E] [--motion M] [--transition T] [--title T]
python scripts/client.py project regenerate PROJECT SHOT [--what keyframe narration clip] [--seed N]
python scripts/client.py project render PROJECT [--until video] [--out FILE.mp4]
python scripts/client.py project export PROJECT --format otioz|fcp7xml|fcpxml|edl|jianying [--render ID] [--out FILE]
python scripts/client.py project import PROJECT CUT.otio|CUT.otioz

Every command takes --url and --api-key (or S2V_URL / S2V_API_KEY) like client.py.
"""

import argparse
import os
import sys
from pathlib import Path

import httpx
from client_common import download, follow, wait_ready

CAMERAS = ["static", "pan_left", "pan_right", "push_in", "pull_out", "tilt_up", "tilt_down", "orbit"]
EDITABLE = ("title", "prompt", "narration", "emotion", "motion", "transition")  # a shot's fields `edit` sets as given
EXPORTS = {"otioz": ".otioz", "fcp7xml": ".zip", "fcpxml": ".zip", "edl": ".zip", "jianying": ".zip"}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="client.py project", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--url", default=os.environ.get("S2V_URL", "http://127.0.0.1:8000"))
    p.add_argument("--api-key", default=os.environ.get("S2V_API_KEY"))
    commands = p.add_subparsers(dest="command", required=True)
    new = commands.add_parser("new", help="a project from a story file; waits for its storyboard")
    new.add_argument("story", type=Path)
    new.add_argument("--title")
    new.add_argument("--scenes", type=int)
    new.add_argument("--resolution", default="720p")
    new.add_argument("--fps", type=int, default=24)
    new.add_argument("--motion", default="i2v", choices=["i2v", "kenburns", "static"])
    show = commands.add_parser("show", help="the project's shots and renders")
    show.add_argument("project")
    edit = commands.add_parser("edit", help="change one shot; prints what became stale")
    edit.add_argument("project")
    edit.add_argument("shot")
    for name in EDITABLE:
        edit.add_argument(f"--{name}")
    edit.add_argument("--camera", choices=CAMERAS)
    edit.add_argument("--duration", type=float)
    again = commands.add_parser("regenerate", help="a new take of one shot")
    again.add_argument("project")
    again.add_argument("shot")
    again.add_argument("--what", nargs="+", default=["keyframe", "clip"], choices=["keyframe", "narration", "clip"])
    again.add_argument("--seed", type=int)
    render = commands.add_parser("render", help="make what is stale and compose a new version")
    render.add_argument("project")
    render.add_argument("--until", default="video", choices=["storyboard", "keyframes", "narration", "clips", "video"])
    render.add_argument("--out", type=Path)
    export = commands.add_parser("export", help="a render as an editor's timeline with its media")
    export.add_argument("project")
    export.add_argument("--format", required=True, choices=list(EXPORTS))
    export.add_argument("--render", help="a render id; default: the latest")
    export.add_argument("--out", type=Path, help="default: PROJECT-FORMAT.zip (.otioz) here")
    recut = commands.add_parser("import", help="an editor's re-cut: shot order and trimmed durations")
    recut.add_argument("project")
    recut.add_argument("timeline", type=Path, help="an .otio or .otioz")
    return p


def refused(answer: httpx.Response) -> int:
    error = answer.json()["error"]
    print(f"refused ({answer.status_code}): {error['message']} [{error.get('field')}]", file=sys.stderr)
    return 1


def print_project(project: dict) -> None:
    print(f"project {project['project_id']} ({project['status']}): {project['title'] or '(untitled)'}")
    for shot in project["shots"]:
        stale = ",".join(shot["stale"]) or "-"
        text = shot["narration"].replace("\n", " ")
        print(f"  {shot['shot_id']:>4}  {shot['camera']:<9} stale:{stale:<24} {text[:60]}")
    for render in project["renders"]:
        made = ", ".join(render["shots_made"]) or "nothing"
        print(f"  render {render['render_id']}: {render['video']} ({render['duration']:.1f}s, made {made})")


def finished(client: httpx.Client, task_id: str) -> bool:
    follow(client, task_id)
    task = client.get(f"/tasks/{task_id}").json()
    if task["status"] != "done":
        error = task["error"] or {}
        print(f"{task['status']}: {error.get('code')}: {error.get('message')}", file=sys.stderr)
        return False
    return True


def run(client: httpx.Client, args) -> int:
    if args.command == "new":
        options = {
            "scene_count": args.scenes,
            "video": {"fps": args.fps, "resolution": args.resolution, "motion": args.motion},
        }
        body = {"story": args.story.read_text(encoding="utf-8"), "options": options, "title": args.title}
        answer = client.post("/projects", json=body)
        if answer.status_code != 201:
            return refused(answer)
        if not finished(client, answer.json()["task_id"]):
            return 1
        print_project(client.get(f"/projects/{answer.json()['project_id']}").json())
        return 0
    project_url = f"/projects/{args.project}"
    if args.command == "show":
        answer = client.get(project_url)
        if answer.status_code != 200:
            return refused(answer)
        print_project(answer.json())
        return 0
    if args.command == "edit":
        fields = (*EDITABLE, "camera", "duration")
        changes = {name: getattr(args, name) for name in fields if getattr(args, name) is not None}
        answer = client.patch(f"{project_url}/shots/{args.shot}", json=changes)
        if answer.status_code != 200:
            return refused(answer)
        print(f"{args.shot}: stale {answer.json()['stale'] or 'nothing'}")
        return 0
    if args.command == "regenerate":
        body = {"what": args.what, **({"seed": args.seed} if args.seed is not None else {})}
        answer = client.post(f"{project_url}/shots/{args.shot}/regenerate", json=body)
        if answer.status_code != 202 or not finished(client, answer.json()["task_id"]):
            return refused(answer) if answer.status_code != 202 else 1
        shot = next(s for s in client.get(project_url).json()["shots"] if s["shot_id"] == args.shot)
        print(f"{args.shot}: take {shot['take_id']} of {len(shot['takes'])}, keyframe {shot['keyframe']}")
        return 0
    if args.command == "export":
        return export(client, args, project_url)
    if args.command == "import":
        return import_timeline(client, args, project_url)
    answer = client.post(f"{project_url}/render", json={"until": args.until})
    if answer.status_code != 202 or not finished(client, answer.json()["task_id"]):
        return refused(answer) if answer.status_code != 202 else 1
    project = client.get(project_url).json()
    print_project(project)
    if args.until == "video" and args.out:
        download(client, project["renders"][-1]["video"], args.out)
        print(f"saved: {args.out.resolve()}")
    return 0


def export(client: httpx.Client, args, project_url: str) -> int:
    """Streams the export to a file (a render's media can be large)."""
    render_id = args.render
    if render_id is None:
        answer = client.get(project_url)
        if answer.status_code != 200:
            return refused(answer)
        if not answer.json()["renders"]:
            print("the project has no render yet: project render PROJECT", file=sys.stderr)
            return 1
        render_id = answer.json()["renders"][-1]["render_id"]
    out = args.out or Path(f"{args.project}-{args.format}{EXPORTS[args.format]}")
    url = f"{project_url}/renders/{render_id}/export"
    with client.stream("GET", url, params={"format": args.format}, timeout=600) as answer:
        if answer.status_code != 200:
            answer.read()
            return refused(answer)
        with out.open("wb") as handle:
            for chunk in answer.iter_bytes():
                handle.write(chunk)
    print(f"saved: {out.resolve()}")
    return 0


def import_timeline(client: httpx.Client, args, project_url: str) -> int:
    with args.timeline.open("rb") as handle:
        sent = client.post("/uploads", files={"file": (args.timeline.name, handle)})
    if sent.status_code != 201:
        return refused(sent)
    answer = client.post(f"{project_url}/import", json={"timeline": sent.json()["url"]})
    if answer.status_code != 200:
        return refused(answer)
    for change in answer.json()["applied"]:
        print(f"  {change['shot_id']}: {change['field']} {change['before']} -> {change['after']}")
    for note in answer.json()["ignored"]:
        print(f"  ignored {note['shot_id'] or note['clip']}: {note['reason']}")
    print_project(answer.json()["project"])
    return 0


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    headers = {"X-API-Key": args.api_key} if args.api_key else {}
    with httpx.Client(base_url=args.url, headers=headers, timeout=60) as client:
        wait_ready(client, 60.0, None)
        return run(client, args)
