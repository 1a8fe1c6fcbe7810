"""Edit benchmark: what re-rendering costs after one shot of a storyboard changes.

python scripts/bench_edit.py [--shots 12] [--size 640x360] [--motion i2v] [--rounds 3]

On the tiny weights (narration by espeak-ng):
- the engine, in `--rounds` rounds, each on an empty artifact store: render a storyboard of N
  shots, change one shot's prompt and narration and render again with the same store, render the
  unchanged storyboard a third time, then change another shot's narration only and render a fourth;
- a project through the HTTP API (the app in this process), once: create it from an N-sentence
  story, render it, PATCH one shot's prompt and narration, render again.
Reports each render's wall time, its stages' seconds and its model calls (keyframes drawn, lines
spoken, clips animated) from the median round, and (medians over the rounds) each re-render's wall
time and composition time as a share of the first render's. Writes data/bench/edit.json.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.i2v import ImageToVideoRuntime  # noqa: E402
from models.registry import ModelRegistry  # noqa: E402
from models.t2i import TextToImageRuntime  # noqa: E402
from models.tts import EspeakRuntime  # noqa: E402
from pipelines.artifact_store import ArtifactStore  # noqa: E402
from pipelines.render import ImageOptions, RenderOptions, VideoOptions, render  # noqa: E402
from pipelines.specs import Shot  # noqa: E402
from pipelines.text import sentences  # noqa: E402
from settings import Settings  # noqa: E402

COUNTED = {"keyframes": (TextToImageRuntime, "generate"), "lines": (EspeakRuntime, "synthesize")}
COUNTED["clips"] = (ImageToVideoRuntime, "animate")


class Calls:
    """Model calls by kind (keyframes count per image: one batched call draws several)."""

    def __init__(self):
        self.counts = dict.fromkeys(COUNTED, 0)
        for kind, (owner, name) in COUNTED.items():
            setattr(owner, name, self.counting(kind, getattr(owner, name)))

    def counting(self, kind: str, original):
        def counted(runtime, *args, **kwargs):
            self.counts[kind] += len(args[0]) if kind == "keyframes" else 1
            return original(runtime, *args, **kwargs)

        return counted

    def take(self) -> dict:
        counts, self.counts = self.counts, dict.fromkeys(COUNTED, 0)
        return counts


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shots", type=int, default=12)
    p.add_argument("--size", default="640x360")
    p.add_argument("--fps", type=int, default=24)
    p.add_argument("--motion", default="i2v", choices=["i2v", "kenburns", "static"])
    p.add_argument("--rounds", type=int, default=3, help="engine rounds; medians are reported")
    return p


def storyboard(count: int) -> list[Shot]:
    """N shots, each with its own line (a line spoken twice would be made once)."""
    pool = sentences((ROOT / "samples" / "lighthouse.en.txt").read_text(encoding="utf-8"), 400)
    lines = [f"In part {i + 1}, {pool[i % len(pool)][0].lower()}{pool[i % len(pool)][1:]}" for i in range(count)]
    return [
        Shot(scene_id=f"s{i + 1}", prompt=f"a lighthouse story, moment {i + 1}", narration=line)
        for i, line in enumerate(lines)
    ]


def timed_render(shots, work: Path, registry, options, store, calls: Calls) -> dict:
    started = time.perf_counter()
    result = render(shots, work, registry, options, store)
    return {"wall": round(time.perf_counter() - started, 2), "stages": result.timings, "calls": calls.take()}


def project_flow(settings, args, calls: Calls) -> dict:
    """The same edit through POST /projects, PATCH a shot, POST .../render (the app in-process)."""
    from fastapi.testclient import TestClient

    from server.app import create_app

    story = " ".join(shot.narration for shot in storyboard(args.shots))
    options = {
        "scene_count": args.shots,
        "image": {"resolution": "256x144", "seed": 1},
        "video": {"fps": args.fps, "resolution": args.size, "motion": args.motion},
    }
    with TestClient(create_app(settings)) as client:
        while client.get("/readyz").status_code != 200:
            time.sleep(0.2)
        project = client.post("/projects", json={"story": story, "options": options}).json()
        wait(client, project["task_id"])
        pid = project["project_id"]
        calls.take()

        def render() -> dict:
            started = time.perf_counter()
            task = wait(client, client.post(f"/projects/{pid}/render", json={}).json()["task_id"])
            made = client.get(f"/projects/{pid}").json()["renders"][-1]["shots_made"]
            wall = round(time.perf_counter() - started, 2)
            return {"wall": wall, "stages": task["timings"], "calls": calls.take(), "shots_made": len(made)}

        first = render()
        middle = f"s{args.shots // 2 + 1}"
        edit = {"prompt": "a storm over the sea", "narration": "Then the storm came, and the lamp held."}
        client.patch(f"/projects/{pid}/shots/{middle}", json=edit)
        after = render()
    return {"first": first, "after_one_edit": after, "edit_share": round(after["wall"] / first["wall"], 3)}


def wait(client, task_id: str) -> dict:
    while (task := client.get(f"/tasks/{task_id}").json())["status"] not in ("done", "error", "cancelled"):
        time.sleep(0.1)
    if task["status"] != "done":
        raise SystemExit(f"task {task_id} {task['status']}: {task['error']}")
    return task


def edits(shots: list[Shot]) -> tuple[list[Shot], list[Shot]]:
    """The storyboard with its middle shot's prompt and narration changed, and that one with a
    quarter-way shot's narration changed too."""
    edited, middle, quarter = list(shots), len(shots) // 2, len(shots) // 4
    edited[middle] = shots[middle].model_copy(
        update={"prompt": "a storm over the sea", "narration": "Then the storm came, and the lamp held."}
    )
    narrated = list(edited)
    narrated[quarter] = edited[quarter].model_copy(
        update={"narration": "The gulls went quiet, and the keeper counted the waves below."}
    )
    return edited, narrated


def engine_round(shots, work: Path, registry, options, calls: Calls) -> dict:
    edited, narrated = edits(shots)
    store = ArtifactStore(work / "store")
    first = timed_render(shots, work / "first", registry, options, store, calls)
    edit = timed_render(edited, work / "edit", registry, options, store, calls)
    same = timed_render(edited, work / "same", registry, options, store, calls)
    narration = timed_render(narrated, work / "narration", registry, options, store, calls)
    shares = {
        "edit_share": edit["wall"] / first["wall"],
        "narration_share": narration["wall"] / first["wall"],
        "edit_compose_share": edit["stages"]["compose"] / first["stages"]["compose"],
        "narration_compose_share": narration["stages"]["compose"] / first["stages"]["compose"],
        "model_stage_share": sum(edit["stages"][s] for s in ("frames", "narration", "clips"))
        / sum(first["stages"][s] for s in ("frames", "narration", "clips")),
    }
    return {"first": first, "after_one_edit": edit, "unchanged": same, "narration_edit": narration, **shares}


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = Settings(
        weights_dir=ROOT / "weights" / "tiny",
        tts_backend="espeak",
        llm_backend="none",
        i2v_resolution="256x160",
        i2v_frames=17,
        i2v_steps=4,
    )
    registry = ModelRegistry(settings)
    options = RenderOptions(
        image=ImageOptions(resolution="256x144", seed=1),
        video=VideoOptions(fps=args.fps, resolution=args.size, motion=args.motion),
    )
    calls = Calls()
    shots = storyboard(args.shots)
    rounds = []
    with tempfile.TemporaryDirectory(prefix="s2v-edit-") as tmp:
        work = Path(tmp)
        warm = ArtifactStore(work / "warm")
        timed_render(storyboard(2), work / "warm-up", registry, options, warm, calls)  # first calls are not measured
        for number in range(args.rounds):
            rounds.append(engine_round(shots, work / f"round-{number}", registry, options, calls))
    ranked = sorted(rounds, key=lambda r: r["first"]["wall"])
    report = {
        "shots": args.shots,
        "size": args.size,
        "motion": args.motion,
        "rounds": args.rounds,
        **{name: ranked[len(ranked) // 2][name] for name in ("first", "after_one_edit", "unchanged", "narration_edit")},
        **{
            share: round(median([r[share] for r in rounds]), 3)
            for share in ("edit_share", "narration_share", "edit_compose_share", "narration_compose_share")
        },
        "model_stage_share": round(median([r["model_stage_share"] for r in rounds]), 3),
        "all_rounds": rounds,
    }
    print(f"{args.shots} shots at {args.size}, motion {args.motion}")
    print(f"median round of {args.rounds}")
    print("render          wall s  keyframes  lines  clips  compose s")
    for name in ("first", "after_one_edit", "unchanged", "narration_edit"):
        row = report[name]
        counts = row["calls"]
        print(
            f"{name:15s} {row['wall']:6.2f}  {counts['keyframes']:9d}  {counts['lines']:5d}  {counts['clips']:5d}"
            f"  {row['stages']['compose']:9.2f}"
        )
    print(f"re-render after one edit: {report['edit_share']:.1%} of the first render's wall time (target <= 12 %)")
    print(f"re-composition after it: {report['edit_compose_share']:.1%} of the first composition")
    print(f"re-render after a narration edit: {report['narration_share']:.1%} of the first render's wall time")
    print(f"re-composition after it: {report['narration_compose_share']:.1%} of the first composition (target <= 15 %)")
    print(f"model stages (frames + narration + clips): {report['model_stage_share']:.1%} of the first render's")
    with tempfile.TemporaryDirectory(prefix="s2v-edit-project-") as tmp:
        report["project"] = project_flow(settings.model_copy(update={"data_dir": Path(tmp)}), args, calls)
    flow = report["project"]
    print(f"\nproject through the API ({args.shots} shots)")
    print("render          wall s  keyframes  lines  clips  shots made")
    for name in ("first", "after_one_edit"):
        row, counts = flow[name], flow[name]["calls"]
        print(
            f"{name:15s} {row['wall']:6.2f}  {counts['keyframes']:9d}  {counts['lines']:5d}  {counts['clips']:5d}"
            f"  {row['shots_made']:10d}"
        )
    print(f"project re-render after one edit: {flow['edit_share']:.1%} of its first render's wall time")
    out = settings.data_dir / "bench" / "edit.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
