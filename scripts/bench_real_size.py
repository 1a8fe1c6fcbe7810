"""Time our runtimes at the real models' sizes without the real weights (see make_real_size_weights.py).

    python scripts/bench_real_size.py --out data/bench/real.json [--role i2v-wan ...] [--scale tiny --small]
    python scripts/bench_real_size.py --film --weights /tmp/real   # a whole film through the server

For each role: build the random-weight folder on the GPU, load it through the runtime the server
uses (`from_pretrained`, Placement, speed options), time the calls, delete the folder. A step
callback stamps every denoising step, so one run gives the per-step time (median gap between
stamps), the time before the first step (prompt encoding, VAE encoding) and after the last (VAE
decode). Every row is written to the JSON as soon as it is measured; a failing case records its
error and the next one runs. `--scale tiny --small` runs the whole plan on CPU in seconds (tests).
"""

import argparse
import json
import re
import shutil
import statistics
import sys
import time
import traceback
from dataclasses import replace
from datetime import date
from itertools import pairwise
from pathlib import Path

import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import make_real_size_weights as real  # noqa: E402
from real_size_film import FILM_ROLES, run_film  # noqa: E402

from models.decoding import Decoder, resolve_mode  # noqa: E402
from models.device import free_accelerator_memory, placement_from  # noqa: E402
from models.i2v import ImageToVideoRuntime  # noqa: E402
from models.llm import LLMRuntime  # noqa: E402
from models.music import MusicRuntime  # noqa: E402
from models.speed import Speed, apply_speed, denoiser  # noqa: E402
from models.t2i import TextToImageRuntime  # noqa: E402
from models.video_decode import compare_decodes, latents_decoded_by  # noqa: E402
from pipelines.storyboard import llm_messages, schema  # noqa: E402
from settings import Settings  # noqa: E402

LINE = "The keeper climbed the stairs at dusk and lit the lamp, as he had every night for forty years."
PROMPT = "a lighthouse keeper climbing a spiral staircase at dusk, warm lamp light"


def synchronize() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def peak_gb() -> float:
    return round(torch.cuda.max_memory_allocated() / 2**30, 2) if torch.cuda.is_available() else 0.0


class Report:
    def __init__(self, path: Path, meta: dict):
        self.path, self.data = path, {**meta, "rows": []}
        path.parent.mkdir(parents=True, exist_ok=True)

    def add(self, row: dict) -> None:
        self.data["rows"].append(row)
        self.path.write_text(json.dumps(self.data, indent=2))
        print(json.dumps(row), flush=True)


def stepped(call) -> dict:
    """Run call(on_step) once; per-step seconds from the step stamps, and what came before and after."""
    stamps: list[float] = []

    def on_step(step, total):
        synchronize()
        stamps.append(time.perf_counter())

    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    synchronize()
    started = time.perf_counter()
    call(on_step)
    synchronize()
    ended = time.perf_counter()
    gaps = [b - a for a, b in pairwise(stamps)]
    step = statistics.median(gaps) if gaps else stamps[0] - started
    return {
        "seconds": round(ended - started, 3),
        "step_s": round(step, 4),
        "before_steps_s": round(stamps[0] - started - step, 3),
        "after_steps_s": round(ended - stamps[-1], 3),
        "steps": len(stamps),
        "peak_vram_gb": peak_gb(),
    }


def loaded(role: str, runtime) -> dict:
    return {
        "role": role,
        "what": "load",
        "model": runtime.name,
        "params_b": runtime.parameters / 1e9,
        "load_s": runtime.load_seconds,
    }


def case(report: Report, role: str, what: str, run, **extra) -> dict | None:
    try:
        row = {"role": role, "what": what, **extra, **run()}
    except Exception as error:  # one failure must not cost the other measurements
        traceback.print_exc()
        row = {"role": role, "what": what, **extra, "error": f"{type(error).__name__}: {str(error)[:300]}"}
        free_accelerator_memory()
    report.add(row)
    return row


def bench_t2i(folder, placement, report, args, role):
    t2i = TextToImageRuntime(folder, placement)
    report.add(loaded(role, t2i))
    steps = 8 if role == "t2i-zimage" else 4  # Z-Image-Turbo: 8 steps; SDXL-Turbo and FLUX.2 klein: 4
    sizes = [(64, 64)] if args.small else [(768, 432), (1024, 1024)]
    t2i.generate([PROMPT], [0], *sizes[0], steps=2)  # warm-up
    for width, height in sizes:
        for batch in (1, 4):
            prompts = [PROMPT] * batch
            case(
                report,
                role,
                f"{batch} keyframe(s) {width}x{height}, {steps} steps",
                lambda p=prompts, w=width, h=height: stepped(
                    lambda s: t2i.generate(p, list(range(len(p))), w, h, steps=steps, on_step=s)
                ),
                batch=batch,
            )


def bench_llm(folder, placement, report, args, role):
    llm = LLMRuntime(folder, placement, decode="eager")
    report.add(loaded(role, llm))
    messages = llm_messages([LINE] * 6, "watercolor")
    tokens = 16 if args.small else 256

    def rate(call):
        synchronize()
        started = time.perf_counter()
        try:
            call()
        except Exception as error:  # random weights may run out of budget: the rate still stands
            note = f"{type(error).__name__}: {str(error)[:120]}"
        else:
            note = ""
        synchronize()
        seconds = time.perf_counter() - started
        stats = llm.decoder.stats
        return {
            "seconds": round(seconds, 3),
            "tokens": stats.tokens,
            "tokens_per_s": round(stats.tokens / seconds, 1),
            "decode_tokens_per_s": round(stats.tokens / stats.decode_seconds, 1),
            "prefill_s": round(stats.prefill_seconds, 3),
            "peak_vram_gb": peak_gb(),
            "note": note,
        }

    # eager: the dynamic cache; the device's auto mode (compiled on CUDA: static cache + CUDA graphs)
    for mode in dict.fromkeys(("eager", resolve_mode("auto", placement.device))):
        llm.decoder = Decoder(llm.model, placement.device, mode, llm.decoder.eos)
        started = time.perf_counter()
        llm.generate(messages, max_new_tokens=8)  # warm-up (the compile, for the compiled mode)
        warm = round(time.perf_counter() - started, 1)
        case(
            report,
            role,
            f"{mode}: greedy decode, {tokens} tokens",
            lambda: rate(lambda: llm.generate(messages, tokens)),
        )
        case(
            report,
            role,
            f"{mode}: 6-scene storyboard JSON under llguidance",
            lambda: rate(lambda: llm.generate_json(messages, schema(6), max_new_tokens=tokens * 4)),
            warm_up_s=warm,
        )


def video_plan(role: str, small: bool) -> list[tuple[str, int, int, int, int, float | None]]:
    """(label, width, height, frames, steps, guidance) per timed run."""
    if small:
        return [("small", 64, 64, 9, 3, None), ("small, no CFG", 64, 64, 9, 3, 1.0)]
    if role == "i2v-wan":  # native 1280x704, 121 frames (5 s at 24 fps); distilled runs use no CFG
        return [("720p 121f, CFG 5", 1280, 704, 121, 3, None), ("720p 121f, no CFG", 1280, 704, 121, 3, 1.0)]
    return [("768x512 121f, CFG 3", 768, 512, 121, 3, None), ("768x512 121f, no CFG", 768, 512, 121, 3, 1.0)]


SPEED_VARIANTS = [  # applied one after another on the loaded model; the last two change it for good
    ("baseline (native SDPA)", Speed()),
    ("attention _native_cudnn", Speed(attention_backend="_native_cudnn")),
    ("attention _native_flash", Speed(attention_backend="_native_flash")),
    ("attention _native_efficient", Speed(attention_backend="_native_efficient")),
    ("first-block cache 0.05 (random weights: skip rate not representative)", Speed(cache="first-block")),
    ("fp8 (torchao, per-row)", Speed(fp8=True)),
    ("fp8 + compile_repeated_blocks", Speed(compile=True)),
]


def bench_decode(i2v, report, args, role, run, shape) -> None:
    """The clip's VAE decode, whole and in tiles of each `--decode-tile` size, side by side (each
    pair once to warm up, then timed); the pixel difference means little on random weights."""
    width, height, frames, _, guidance = shape
    captured = []  # one clip's latents, made in the first case (its failure is that case's row)
    for tile in args.decode_tile or ([128] if args.small else [256, 512]):

        def pair(tile=tile):
            if not captured:
                captured.append(latents_decoded_by(i2v.pipe.vae, lambda: run(width, height, frames, 1, guidance)))
            latents, extra = captured[0]
            compare_decodes(i2v.pipe.vae, latents, tile, extra)
            return compare_decodes(i2v.pipe.vae, latents, tile, extra)

        case(report, role, f"{width}x{height} {frames}f: VAE decode whole vs {tile}-px tiles", pair)


def bench_i2v(folder, placement, report, args, role):
    i2v = ImageToVideoRuntime(folder, placement)
    report.add(loaded(role, i2v))
    keyframe = Image.new("RGB", (1280, 704), (90, 120, 160))

    def run(width, height, frames, steps, guidance):
        return stepped(
            lambda s: i2v.animate(keyframe, frames, width, height, steps, 0, 24, PROMPT, on_step=s, guidance=guidance)
        )

    plan = video_plan(role, args.small)
    i2v.animate(keyframe, 9, 256, 256, 2, 0, 24, PROMPT)  # warm-up at a small size
    for label, *shape in plan:
        case(report, role, label, lambda shape=shape: run(*shape), frames=i2v.frame_count(shape[2]))
    # Tiles must be smaller than the clip to be used: the small plan's 64 px clips are not.
    shape = plan[-1][1:]
    bench_decode(i2v, report, args, role, run, (256, 256, 9, *shape[3:]) if args.small else shape)
    if args.compiled_clip and not args.small:
        # The fastest settings on the full clip: the first run pays the compile.
        apply_speed(i2v.pipe, Speed(fp8=True, compile=True))
        label, *shape = plan[-1]
        first = run(*shape)
        case(
            report,
            role,
            f"{label}: fp8 + compile_repeated_blocks",
            lambda: {**run(*shape), "first_run_s": first["seconds"]},
        )
    if args.small or not args.speed:
        return
    # Speed options on a shorter clip at the same size: the per-step time is what they change.
    label, width, height, _, steps, guidance = plan[-1]
    shape = (width, height, 41, steps, guidance)
    model = denoiser(i2v.pipe)
    for name, speed in SPEED_VARIANTS:

        def variant(speed=speed):
            applied = apply_speed(i2v.pipe, speed)
            first = run(*shape) if speed.compile else None  # the compile happens in this run
            timed = run(*shape)
            return {**timed, "applied": applied, "first_run_s": first and first["seconds"]}

        case(report, role, f"{width}x{height} 41f, no CFG: {name}", variant)
        if speed.attention_backend:
            model.set_attention_backend("native")
        if speed.cache != "none":
            model.disable_cache()


def bench_music(folder, placement, report, args, role):
    music = MusicRuntime(folder, placement)
    report.add(loaded(role, music))
    seconds = 2.0 if args.small else 60.0  # the bed of a one-minute video
    music.compose("calm piano", 2.0, steps=2)  # warm-up

    def bed():
        row = stepped(lambda s: music.compose("calm piano, soft strings, warm", seconds, steps=8, on_step=s))
        return {**row, "audio_s": seconds, "real_time_factor": round(row["seconds"] / seconds, 4)}

    case(report, role, f"{seconds:.0f} s instrumental bed, 8 steps", bed)


BENCHES = {
    "t2i": bench_t2i,
    "t2i-zimage": bench_t2i,
    "t2i-flux2": bench_t2i,
    "llm": bench_llm,
    "i2v-wan": bench_i2v,
    "i2v": bench_i2v,
    "music": bench_music,
}


def film_out(device_name: str) -> Path:
    slug = re.sub(r"[^a-z0-9]+", "-", device_name.lower()).strip("-")
    return ROOT / "docs" / "gpu-runs" / f"{date.today().isoformat()}-{slug}-film.json"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", type=Path, required=True, help="scratch folder for the built models")
    p.add_argument("--out", type=Path, help="default: data/bench/real.json; with --film, docs/gpu-runs/")
    p.add_argument("--role", action="append", choices=list(BENCHES), help="default: every role")
    p.add_argument("--scale", choices=list(real.CONFIGS), default="real")
    p.add_argument("--small", action="store_true", help="tiny sizes and frame counts (tests)")
    p.add_argument("--speed", action="store_true", help="also time the speed options on the video transformer")
    p.add_argument("--compiled-clip", action="store_true", help="also time the full clip with fp8 + compiled blocks")
    p.add_argument("--decode-tile", type=int, action="append", help="VAE decode tile sizes to time (px)")
    p.add_argument("--keep", action="store_true", help="keep the built folders")
    p.add_argument("--film", action="store_true", help="a whole film through the server (real_size_film.py)")
    p.add_argument("--film-t2i", choices=["t2i", "t2i-zimage", "t2i-flux2"], default="t2i", help="its keyframe model")
    p.add_argument("--film-llm-tokens", type=int, default=1536, help="its storyboard's token budget")
    p.add_argument("--film-limit", type=float, default=3600.0, help="seconds the film may take")
    args = p.parse_args(argv)
    placement = placement_from(Settings())
    placement = replace(placement, dtype=torch.float32 if placement.device == "cpu" else torch.bfloat16)
    name = torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"
    out = args.out or (film_out(name) if args.film else ROOT / "data" / "bench" / "real.json")
    report = Report(
        out, {"device": name, "date": date.today().isoformat(), "scale": args.scale, "torch": torch.__version__}
    )
    if args.film:
        try:
            run_film(args, report, placement)
        finally:
            if not args.keep:
                for folder in (*FILM_ROLES, args.film_t2i, "data"):
                    shutil.rmtree(args.weights / folder, ignore_errors=True)
        return 0
    for role in args.role or list(BENCHES):
        try:
            started = time.perf_counter()
            folder = real.build(args.weights, role, args.scale, placement.device, placement.dtype)
            report.add({"role": role, "what": "build", "seconds": round(time.perf_counter() - started, 1)})
            BENCHES[role](folder, placement, report, args, role)
        except Exception as error:
            traceback.print_exc()
            report.add({"role": role, "what": "role failed", "error": f"{type(error).__name__}: {str(error)[:300]}"})
        finally:
            free_accelerator_memory()
            if not args.keep:
                shutil.rmtree(args.weights / role, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
