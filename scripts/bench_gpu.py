"""Per-stage timings on whatever device this machine has, so the first GPU run gives real numbers.

python scripts/bench_gpu.py [--repeats 3] [--size 768x512] [--batch 4] [--shots 6] [--decode-tile 256 ...]

Uses the same settings as the server (S2V_WEIGHTS_DIR, S2V_DEVICE, S2V_DTYPE, S2V_I2V_*): with
real weights on a GPU it measures the real models; without, point S2V_WEIGHTS_DIR at weights/tiny
to check the script itself. Each stage runs once to warm up (kernels, allocator, compile), then
`--repeats` times; CUDA is synchronised around every timed call and peak VRAM is read per stage.
Prints a table; writes data/bench/gpu.json. docs/gpu-plan.md has the figures to compare with.
With an IP-Adapter beside the keyframe model it also measures character consistency: `--shots`
scenes of one character drawn with and without its design image (`identity_consistency`). It
also decodes one clip whole and in tiles of each `--decode-tile` size (`clip_decodes`): times, peak
VRAM and, with the real VAE, the pixel difference tiles make.
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
from models.video_decode import can_tile, compare_decodes, latents_decoded_by  # noqa: E402
from pipelines.storyboard import llm_messages, schema  # noqa: E402
from settings import Settings  # noqa: E402

LINE = "The keeper climbed the stairs at dusk and lit the lamp, as he had every night for forty years."
CHARACTER = "an old lighthouse keeper with a white beard, a yellow raincoat and a red woollen cap"
SCENES = (
    "climbing a spiral staircase at dusk",
    "standing on wet rocks in a storm",
    "reading a letter by lamp light",
    "rowing a small boat at dawn",
    "lighting the great lamp at night",
    "drinking tea in a small kitchen",
)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--size", default="768x512", help="keyframe size")
    p.add_argument("--batch", type=int, default=4, help="keyframes per call")
    p.add_argument("--steps", type=int, default=4, help="keyframe denoising steps")
    p.add_argument("--shots", type=int, default=6, help="shots of one character for the consistency figure (0: skip)")
    p.add_argument("--strength", type=float, default=0.6, help="the character's identity strength in those shots")
    p.add_argument("--decode-tile", type=int, action="append", help="i2v VAE decode tile sizes to compare (px)")
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


def clip_embeddings(t2i, images) -> torch.Tensor:
    """Unit CLIP image embeddings from the IP-Adapter's own image encoder and its processor."""
    encoder, processor = t2i.pipe.image_encoder, t2i.pipe.feature_extractor
    pixels = processor(images, return_tensors="pt").pixel_values.to(encoder.device, encoder.dtype)
    with torch.inference_mode():
        return torch.nn.functional.normalize(encoder(pixels).image_embeds.float(), dim=-1)


def mean_pairwise_similarity(embeddings: torch.Tensor) -> float:
    similarities = embeddings @ embeddings.T
    count = len(embeddings)
    return float((similarities.sum() - similarities.diagonal().sum()) / (count * (count - 1)))


def identity_consistency(t2i, shots: int, width: int, height: int, steps: int, strength: float) -> dict:
    """How alike one character looks across `shots` scenes (different prompts and seeds) drawn
    with and without its design portrait through the IP-Adapter: the mean pairwise cosine
    similarity of the shots' CLIP image embeddings, and their mean similarity to the portrait."""
    if shots < 2:
        raise ValueError("consistency needs at least two shots")
    if not t2i.takes_identities:
        raise ValueError(f"{t2i.name} has no IP-Adapter loaded")
    design = t2i.generate([f"portrait of {CHARACTER}, plain background"], [0], width, height, steps=steps)[0]
    prompts = [f"{CHARACTER}, {SCENES[i % len(SCENES)]}" for i in range(shots)]
    seeds = list(range(1, shots + 1))
    design_embedding = clip_embeddings(t2i, [design])
    figures = {"shots": shots, "strength": strength}
    for label, identities in (("without", None), ("with", [(design, strength)])):
        images = t2i.generate(prompts, seeds, width, height, steps=steps, identities=identities)
        embeddings = clip_embeddings(t2i, images)
        figures[f"pairwise_{label}"] = round(mean_pairwise_similarity(embeddings), 4)
        figures[f"to_design_{label}"] = round(float((embeddings @ design_embedding.T).mean()), 4)
    return figures


def clip_decodes(registry, settings, keyframe, tiles: list[int]) -> list[dict]:
    """One clip's VAE decode whole and in each size of tiles, side by side (each pair once to warm
    up, then timed): with the real weights, the pixel difference is the real tiling tolerance."""
    i2v = registry.get("i2v")
    if i2v is None or not can_tile(i2v.pipe.vae):
        return []
    width, height = keyframe.size

    def clip():
        i2v.animate(keyframe, settings.i2v_frames, width, height, steps=1, seed=0, fps=24)

    latents, extra = latents_decoded_by(i2v.pipe.vae, clip)
    rows = []
    for tile in tiles:
        compare_decodes(i2v.pipe.vae, latents, tile, extra)
        rows.append(compare_decodes(i2v.pipe.vae, latents, tile, extra))
    if settings.residency == "stage":
        registry.unload("i2v")
    return rows


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
    consistency = None
    t2i = registry.get("t2i") if args.shots else None
    if t2i is not None and t2i.takes_identities:
        consistency = identity_consistency(t2i, args.shots, width, height, args.steps, args.strength)
        if settings.residency == "stage":
            registry.unload("t2i")
    elif args.shots:
        print(f"identity consistency: skipped (no IP-Adapter at {settings.role_path('ip_adapter')})")
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
    decodes = clip_decodes(registry, settings, keyframe, args.decode_tile or [256, 512])
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
    for row in decodes:
        print(
            f"i2v decode, {row['tile']}-px tiles vs whole: {row['tiled_s']:.3f} s vs {row['full_s']:.3f} s, "
            f"peak VRAM {row['tiled_peak_gb']:.2f} vs {row['full_peak_gb']:.2f} GB, "
            f"difference mean {row['mean_abs_levels']:.2f}/255, largest {row['max_abs_levels']:.1f}/255"
        )
    if consistency:
        print(
            f"identity consistency over {consistency['shots']} shots (CLIP cosine, strength {consistency['strength']}):"
            f" pairwise {consistency['pairwise_without']:.3f} without -> {consistency['pairwise_with']:.3f} with;"
            f" to the design {consistency['to_design_without']:.3f} -> {consistency['to_design_with']:.3f}"
        )
    out = ROOT / "data" / "bench" / "gpu.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {"device": device, "name": name, "rows": rows, "identity_consistency": consistency, "decode": decodes}
    out.write_text(json.dumps(report, indent=2))
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
