"""Keyframes: one SDXL-Turbo image per scene, in as few batched calls as memory allows."""

import re
import secrets
from collections.abc import Callable
from pathlib import Path

from models.cancel import CancelToken
from pipelines.artifacts import commit, key_of, partial, reusable
from pipelines.specs import Frame, FrameSpec, check_scene_ids

RESOLUTION = re.compile(r"^\s*(\d{1,5})\s*[xX×]\s*(\d{1,5})\s*$")
MAX_SEED = 2**63 - 1


def parse_resolution(text: str, max_pixels: int) -> tuple[int, int]:
    match = RESOLUTION.match(text or "")
    if not match:
        raise ValueError("resolution must look like 768x512")
    width, height = int(match.group(1)), int(match.group(2))
    if width % 8 or height % 8 or width < 64 or height < 64:
        raise ValueError("width and height must be multiples of 8, at least 64")
    if width * height > max_pixels:
        raise ValueError(f"{width}x{height} is over the pixel budget of {max_pixels} pixels")
    return width, height


def check_inputs(specs: list[FrameSpec], steps: int, guidance: float, seed: int | None) -> None:
    check_scene_ids(specs, "scenes to draw")
    if not 1 <= steps <= 8:
        raise ValueError("num_steps must be between 1 and 8")
    if not 0 <= guidance <= 10:
        raise ValueError("cfg_scale must be between 0 and 10")
    if seed is not None and not 0 <= seed <= MAX_SEED - len(specs):
        raise ValueError(f"seed must be between 0 and {MAX_SEED - len(specs)}")


def _batch_progress(on_progress, done_before: int, size: int, total_items: int):
    """A denoising-step callback that reports the whole stage's fraction."""

    def step(i: int, steps: int) -> None:
        if on_progress:
            on_progress((done_before + size * i / steps) / total_items)

    return step


def make_frames(
    specs: list[FrameSpec],
    out_dir: Path,
    t2i,
    *,
    width: int,
    height: int,
    steps: int = 4,
    guidance: float = 0.0,
    seed: int | None = None,
    batch: int = 4,
    cancel: CancelToken | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> list[Frame]:
    check_inputs(specs, steps, guidance, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    seeds = [seed + i if seed is not None else secrets.randbelow(2**31) for i in range(len(specs))]
    jobs = []
    for spec, scene_seed in zip(specs, seeds, strict=True):
        path = out_dir / f"{spec.scene_id}.png"
        key = key_of(
            prompt=spec.prompt,
            negative=spec.negative_prompt,
            seed=scene_seed,
            size=(width, height),
            steps=steps,
            guidance=guidance,
            model=str(t2i.folder),
        )
        jobs.append((spec, scene_seed, path, key))
    todo = [job for job in jobs if not reusable(job[2], job[3])]
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        step = _batch_progress(on_progress, start, len(chunk), len(todo))
        images = t2i.generate(
            [job[0].prompt for job in chunk],
            [job[1] for job in chunk],
            width,
            height,
            steps=steps,
            guidance=guidance,
            negative_prompts=[job[0].negative_prompt for job in chunk],
            cancel=cancel,
            on_step=step,
        )
        for (_, _, path, key), image in zip(chunk, images, strict=True):
            part = partial(path)
            image.save(part, format="PNG")
            commit(part, path, key)
    if on_progress:
        on_progress(1.0)
    return [Frame(scene_id=spec.scene_id, frame=path, seed=s) for spec, s, path, _ in jobs]
