"""Scaling benchmark: render time per stage as scenes and output length grow, and our own overhead.

python scripts/bench_scaling.py [--scenes 3 6 12 24] [--lengths 30 60 120] [--size 640x360]

Renders on the tiny weights (narration by espeak-ng, so output length follows the text as with a
real voice): one series over scene counts, one over output length at 6 scenes. Every model call
and every ffmpeg run is timed from outside the stages; what is left of the wall time is
orchestration overhead (our Python between the calls), reported as a share of the total.
Each stage's seconds are fitted to a line over the series; the fit's R^2 and worst relative
residual say whether it grows linearly. Prints tables; writes data/bench/scaling.json.
"""

import argparse
import json
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.i2v import ImageToVideoRuntime  # noqa: E402
from models.llm import LLMRuntime  # noqa: E402
from models.registry import ModelRegistry  # noqa: E402
from models.t2i import TextToImageRuntime  # noqa: E402
from models.tts import EspeakRuntime  # noqa: E402
from pipelines import ffmpeg  # noqa: E402
from pipelines.artifact_store import ArtifactStore  # noqa: E402
from pipelines.render import STAGES, ImageOptions, RenderOptions, VideoOptions, render  # noqa: E402
from pipelines.text import sentences  # noqa: E402
from settings import Settings  # noqa: E402

TIMED = [
    (LLMRuntime, "generate_json"),
    (TextToImageRuntime, "generate"),
    (ImageToVideoRuntime, "animate"),
    (EspeakRuntime, "synthesize"),
    (ffmpeg, "run"),
    (ffmpeg, "probe"),
]
NOISE = 0.05  # seconds
WORDS_PER_SECOND = 2.6  # espeak-ng's default English pace, to size the stories


class Clock:
    """Seconds spent inside model calls and ffmpeg runs; nested calls are counted once."""

    def __init__(self):
        self.seconds = {"model": 0.0, "ffmpeg": 0.0}
        self.depth = 0

    def wrap(self, owner, name: str):
        original = getattr(owner, name)
        kind = "ffmpeg" if owner is ffmpeg else "model"
        clock = self

        def timed(*args, **kwargs):
            clock.depth += 1
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                clock.depth -= 1
                if clock.depth == 0:
                    clock.seconds[kind] += time.perf_counter() - started

        setattr(owner, name, timed)
        return original

    @contextmanager
    def installed(self):
        originals = [(owner, name, self.wrap(owner, name)) for owner, name in TIMED]
        try:
            yield self
        finally:
            for owner, name, original in originals:
                setattr(owner, name, original)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenes", type=int, nargs="+", default=[3, 6, 12, 24])
    p.add_argument("--lengths", type=float, nargs="+", default=[30, 60, 120], help="seconds of output")
    p.add_argument("--size", default="640x360")
    p.add_argument("--fps", type=int, default=24)
    return p


def story_of(words: int, at_least: int = 1) -> str:
    """Sample sentences repeated to about `words` words and at least `at_least` sentences (one a scene)."""
    pool = sentences((ROOT / "samples" / "lighthouse.en.txt").read_text(encoding="utf-8"), 400)
    text, i = [], 0
    while sum(len(s.split()) for s in text) < words or len(text) < at_least:
        text.append(pool[i % len(pool)])
        i += 1
    return " ".join(text)


def one_render(registry, story: str, scenes: int, args) -> dict:
    options = RenderOptions(
        scene_count=scenes,
        image=ImageOptions(resolution="256x144", seed=1),
        video=VideoOptions(fps=args.fps, resolution=args.size, motion="i2v"),
    )
    with tempfile.TemporaryDirectory(prefix="s2v-scaling-") as work, Clock().installed() as clock:
        started = time.perf_counter()
        result = render(story, Path(work), registry, options, ArtifactStore(Path(work) / "artifacts"))
        wall = time.perf_counter() - started
    inside = clock.seconds["model"] + clock.seconds["ffmpeg"]
    return {
        "scenes": len(result.storyboard.storyboard),
        "output_seconds": round(result.duration, 1),
        "wall": round(wall, 2),
        "stages": result.timings,
        "model": round(clock.seconds["model"], 2),
        "ffmpeg": round(clock.seconds["ffmpeg"], 2),
        "overhead": round(wall - inside, 3),
        "overhead_share": round((wall - inside) / wall, 4),
    }


def linearity(xs: list[float], ys: list[float]) -> dict:
    slope, intercept = np.polyfit(xs, ys, 1)
    fitted = slope * np.asarray(xs) + intercept
    residual = np.asarray(ys) - fitted
    total = np.sum((np.asarray(ys) - np.mean(ys)) ** 2)
    r2 = 1 - np.sum(residual**2) / total if total > 0 else 1.0
    worst = float(np.max(np.abs(residual) / np.maximum(np.asarray(ys), 1e-9)))
    growth = abs(slope) * (max(xs) - min(xs))
    # A stage that does not depend on x (the storyboard as the story grows) is flat, not non-linear;
    # below NOISE seconds, residuals are timer noise on a busy machine.
    shape = "flat" if growth < 0.15 * np.mean(ys) else "linear" if r2 >= 0.95 or worst <= 0.1 else "NOT linear"
    if shape == "NOT linear" and np.max(np.abs(residual)) < NOISE:
        shape = "linear"
    return {
        "slope": round(float(slope), 4),
        "intercept": round(float(intercept), 3),
        "r2": round(float(r2), 4),
        "worst_residual": round(worst, 3),
        "shape": shape,
    }


def series(name: str, x_key: str, runs: list[dict]) -> dict:
    xs = [run[x_key] for run in runs]
    fits = {stage: linearity(xs, [run["stages"][stage] for run in runs]) for stage in STAGES}
    fits["total"] = linearity(xs, [run["wall"] for run in runs])
    print(f"\n{name}: seconds per stage")
    print(f"{x_key:>14} " + " ".join(f"{s:>10}" for s in STAGES) + f" {'wall':>8} {'overhead':>9}")
    for run in runs:
        cells = " ".join(f"{run['stages'][s]:>10.2f}" for s in STAGES)
        print(f"{run[x_key]:>14} {cells} {run['wall']:>8.2f} {100 * run['overhead_share']:>8.2f}%")
    print(f"{'fit R^2':>14} " + " ".join(f"{fits[s]['r2']:>10.3f}" for s in STAGES) + f" {fits['total']['r2']:>8.3f}")
    print(f"{'s per unit':>14} " + " ".join(f"{fits[s]['slope']:>10.3f}" for s in STAGES))
    print(f"{'worst resid.':>14} " + " ".join(f"{100 * fits[s]['worst_residual']:>9.1f}%" for s in STAGES))
    print(f"{'grows':>14} " + " ".join(f"{fits[s]['shape']:>10}" for s in STAGES))
    return {"runs": runs, "fits": fits}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = Settings(
        weights_dir=ROOT / "weights" / "tiny",
        tts_backend="espeak",
        i2v_resolution="256x160",
        i2v_frames=17,
        i2v_steps=4,
    )
    registry = ModelRegistry(settings)
    registry.load_all()
    one_render(registry, story_of(20), 2, args)  # warm-up: first calls are not what we measure

    by_scenes = [one_render(registry, story_of(12 * n, n), n, args) for n in args.scenes]
    by_length = [one_render(registry, story_of(round(s * WORDS_PER_SECOND)), 6, args) for s in args.lengths]
    report = {
        "scenes": series("by scene count", "scenes", by_scenes),
        "length": series("by output length (6 scenes)", "output_seconds", by_length),
    }
    shares = [run["overhead_share"] for run in by_scenes + by_length]
    report["overhead_share_max"] = max(shares)
    print(f"\norchestration overhead: at most {100 * max(shares):.2f}% of wall time (target < 5%)")
    out = ROOT / "data" / "bench" / "scaling.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
