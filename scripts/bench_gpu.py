"""Per-stage timings on whatever device this machine has, so the first GPU run gives real numbers.

python scripts/bench_gpu.py [--repeats 3] [--size 768x512] [--batch 4]

Uses the same settings as the server (S2V_WEIGHTS_DIR, S2V_DEVICE, S2V_DTYPE, S2V_I2V_*): with
real weights on a GPU it measures the real models; without, point S2V_WEIGHTS_DIR at weights/tiny
to check the script itself. Each stage runs once to warm up (kernels, allocator, compile), then
`--repeats` times; CUDA is synchronised around every timed call and peak VRAM is read per stage.
Prints a table; writes data/bench/gpu.json. docs/gpu-plan.md has the figures to compare with.
Without the real weights, scripts/bench_real_size.py times the same runtimes at the real sizes.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.errors import WeightsError  # noqa: E402
from models.registry import ModelRegistry  # noqa: E402
from pipelines.storyboard import llm_messages, schema  # noqa: E402
from settings import Settings  # noqa: E402

LINE = "The keeper climbed the stairs at dusk and lit the lamp, as he had every night for forty years."


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--size", default="768x512", help="keyframe size")
    p.add_argument("--batch", type=int, default=4, help="keyframes per call")
    p.add_argument("--steps", type=int, default=4, help="keyframe denoising steps")
    return p


def synchronize() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def timed(call, repeats: int) -> tuple[float, float]:
    """Median seconds of `repeats` runs after one warm-up, and peak VRAM (GB) over them."""
    call()
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    seconds = []
    for _ in range(repeats):
        synchronize()
        started = time.perf_counter()
        call()
        synchronize()
        seconds.append(time.perf_counter() - started)
    peak = torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else 0.0
    return statistics.median(seconds), peak


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return run(args)
    except WeightsError as error:  # no real weights here: say what to do, not a traceback
        print(f"bench_gpu: {error}", file=sys.stderr)
        return 1


def run(args) -> int:
    settings = Settings()
    registry = ModelRegistry(settings)
    width, height = (int(v) for v in args.size.split("x"))
    rows = []

    def measure(role: str, what: str, call, per: float, unit: str) -> None:
        runtime = registry.get(role)
        if runtime is None:
            print(f"{role}: switched off, skipped")
            return
        seconds, peak = timed(lambda: call(runtime), args.repeats)
        rows.append(
            {
                "role": role,
                "what": what,
                "seconds": round(seconds, 4),
                "per_unit": round(seconds / per, 4),
                "unit": unit,
                "peak_vram_gb": round(peak, 2),
                "model": runtime.name,
            }
        )
        if settings.residency == "stage":
            registry.unload(role)

    texts = [LINE] * 6
    measure(
        "llm",
        "6-scene storyboard JSON",
        lambda llm: llm.generate_json(llm_messages(texts, "watercolor"), schema(6), 1024),
        1,
        "storyboard",
    )
    prompts = ["a lighthouse keeper climbing a spiral staircase at dusk, warm lamp light"] * args.batch
    measure(
        "t2i",
        f"{args.batch} keyframes {width}x{height}, {args.steps} steps",
        lambda t2i: t2i.generate(prompts, list(range(args.batch)), width, height, steps=args.steps),
        args.batch * args.steps,
        "image-step",
    )
    work_w, work_h = (int(v) for v in settings.i2v_resolution.split("x"))
    keyframe = Image.new("RGB", (work_w, work_h), (90, 120, 160))
    measure(
        "i2v",
        f"one clip {settings.i2v_resolution}, {settings.i2v_frames} frames, {settings.i2v_steps} steps",
        lambda i2v: i2v.animate(
            keyframe, settings.i2v_frames, work_w, work_h, steps=settings.i2v_steps, seed=0, fps=24
        ),
        1,
        "clip",
    )
    speech = {}

    def speak(tts):
        speech["seconds"] = tts.synthesize(LINE, None, "en", 1.0).seconds

    measure("tts", "one sentence", speak, 1, "sentence")
    device = registry.placement.device
    name = torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"
    print(f"device: {device} ({name}), dtype {registry.placement.dtype_name}, weights {settings.weights_dir}")
    print(f"{'role':<5} {'what':<44} {'seconds':>9} {'per unit':>10} {'unit':<11} {'peak VRAM GB':>12}")
    for row in rows:
        print(
            f"{row['role']:<5} {row['what']:<44} {row['seconds']:>9.3f} {row['per_unit']:>10.4f} "
            f"{row['unit']:<11} {row['peak_vram_gb']:>12.2f}"
        )
    if speech:
        tts_row = next(row for row in rows if row["role"] == "tts")
        print(f"tts real-time factor: {tts_row['seconds'] / max(speech['seconds'], 1e-9):.3f} (below 1 is faster)")
    out = ROOT / "data" / "bench" / "gpu.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"device": device, "name": name, "rows": rows}, indent=2))
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
