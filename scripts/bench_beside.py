"""Narration beside the clips (issue 24): a render's lines spoken while its clips are made, against
every line spoken first, side by side in one run.

python scripts/bench_beside.py [--shots 6] [--tts qwen-tts] [--motion i2v] [--rounds 3]

On the tiny weights (or `--weights`): a storyboard of N shots whose keyframes are drawn once, then
in each round its narration and clips made twice, each time from an empty artifact store: every
line first (`S2V_NARRATION_BESIDE_CLIPS=off`), then beside the clips (`on`). Reports,
medians over the rounds, each way's wall time from the first line to the last clip, the narration's
and the clips' own seconds, and the ratio beside / first, and checks that both ways made the same
narration. Writes data/bench/beside.json.
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.registry import ModelRegistry  # noqa: E402
from pipelines.artifact_store import ArtifactStore  # noqa: E402
from pipelines.context import StageContext  # noqa: E402
from pipelines.render import ImageOptions, RenderOptions, VideoOptions, generate  # noqa: E402
from pipelines.specs import Shot  # noqa: E402
from pipelines.text import sentences  # noqa: E402
from settings import Settings  # noqa: E402

SPEECH_FOLDERS = {"coqui": "tts", "kokoro": "tts-kokoro", "qwen-tts": "tts-qwen", "espeak": "tts"}
WAYS = {"first": False, "beside": True}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", type=Path, default=ROOT / "weights" / "tiny")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--shots", type=int, default=6)
    p.add_argument("--tts", choices=list(SPEECH_FOLDERS), default="qwen-tts")
    p.add_argument("--motion", choices=["i2v", "kenburns"], default="i2v")
    p.add_argument("--i2v-model", default="i2v-wan", help="the video model's folder")
    p.add_argument("--size", default="320x180", help="the clips' size")
    p.add_argument("--i2v-frames", type=int, default=9)
    p.add_argument("--i2v-steps", type=int, default=2)
    p.add_argument("--i2v-resolution", default="128x96")
    p.add_argument("--rounds", type=int, default=3, help="medians over the rounds are reported")
    p.add_argument("--out", type=Path, default=ROOT / "data" / "bench" / "beside.json")
    return p


def storyboard(count: int) -> list[Shot]:
    """N shots, each with a line of its own (a line spoken twice would be made once)."""
    pool = sentences((ROOT / "samples" / "lighthouse.en.txt").read_text(encoding="utf-8"), 400)
    return [
        Shot(scene_id=f"s{i + 1}", prompt=f"a lighthouse story, moment {i + 1}", narration=pool[i % len(pool)])
        for i in range(count)
    ]


def settings_for(args, data_dir: Path, beside: bool) -> Settings:
    return Settings(
        weights_dir=args.weights,
        data_dir=data_dir,
        device=args.device,
        tts_backend=args.tts,
        tts_model=SPEECH_FOLDERS[args.tts],
        i2v_model=args.i2v_model,
        i2v_frames=args.i2v_frames,
        i2v_steps=args.i2v_steps,
        i2v_resolution=args.i2v_resolution,
        residency="all",
        narration_beside_clips="on" if beside else "off",
    )


def voiced(shots, args, registry, work: Path, beside: bool, options) -> tuple[dict, list[bytes]]:
    """Narration and clips for shots that carry their keyframes, from an empty store."""
    ctx = StageContext(registry, settings_for(args, work / "data", beside), ArtifactStore(work / "store"), work)
    started = time.perf_counter()
    made = generate(shots, ctx, options, until="clips")
    wall = time.perf_counter() - started
    seconds = {"wall": wall, "narration": made.timings["narration"], "clips": made.timings["clips"]}
    return seconds, [a.audio.read_bytes() for a in made.audios]


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    video = VideoOptions(fps=8, resolution=args.size, motion=args.motion)
    options = RenderOptions(video=video, image=ImageOptions(resolution="128x96", seed=7))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        registry = ModelRegistry(settings_for(args, root / "data", True))
        for role in ("t2i", "tts", *(["i2v"] if args.motion == "i2v" else [])):
            registry.get(role)  # loaded before any clock starts
        ctx = StageContext(registry, registry.settings, ArtifactStore(root / "frames-store"), root / "frames")
        drawn = generate(storyboard(args.shots), ctx, options, until="keyframes")
        shots = [s.model_copy(update={"frame": f.frame}) for s, f in zip(drawn.shots, drawn.frames, strict=True)]
        voiced(shots, args, registry, root / "warm", True, options)  # first calls (allocations, caches) off the clock
        rounds = {way: [] for way in WAYS}
        for index in range(args.rounds):
            spoken = {}
            for way, beside in WAYS.items():
                seconds, spoken[way] = voiced(shots, args, registry, root / f"{way}-{index}", beside, options)
                rounds[way].append(seconds)
            if spoken["first"] != spoken["beside"]:
                raise SystemExit("the narration differs between the two ways")
        registry.unload("tts")  # Qwen3-TTS: its worker process ends with it
    medians = {way: {k: statistics.median(r[k] for r in rows) for k in rows[0]} for way, rows in rounds.items()}
    ratio = medians["beside"]["wall"] / medians["first"]["wall"]
    report = {"args": {k: str(v) for k, v in vars(args).items()}, "rounds": rounds, "medians": medians}
    report["beside_over_first"] = ratio
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"{args.shots} shots, tts {args.tts}, motion {args.motion}, medians of {args.rounds} rounds:")
    for way, m in medians.items():
        print(f"  {way:7s} wall {m['wall']:7.2f} s   narration {m['narration']:6.2f} s   clips {m['clips']:6.2f} s")
    print(f"  beside / first: {ratio:.3f} (the same narration both ways)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
