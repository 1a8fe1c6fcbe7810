"""What the two diffusers runtimes share: loading a pipeline folder and running it cancellably."""

import time
from collections.abc import Callable
from pathlib import Path

import torch
from diffusers import DiffusionPipeline
from diffusers.utils import logging as diffusers_logging

from models.cancel import CancelToken
from models.device import Placement, apply_to_pipeline, free_accelerator_memory, is_out_of_memory, parameter_count
from models.errors import OutOfMemory
from models.weights import check_folder


def load_pipeline(role: str, folder: Path, placement: Placement, loader=DiffusionPipeline):
    check_folder(role, folder, "diffusers")
    diffusers_logging.disable_progress_bar()
    started = time.perf_counter()
    half = placement.dtype != torch.float32
    variant = "fp16" if half and any(folder.glob("*/*.fp16.safetensors")) else None
    pipe = loader.from_pretrained(
        folder, dtype=placement.dtype, use_safetensors=True, local_files_only=True, variant=variant
    )
    apply_to_pipeline(pipe, placement)
    params = parameter_count(*pipe.components.values())
    return pipe, time.perf_counter() - started, params


def step_callback(
    cancel: CancelToken | None, on_step: Callable[[int, int], None] | None, total: int, done: int = 0, calls: int = 1
):
    """diffusers' callback_on_step_end: raising here stops the loop within one denoising step. A
    task split into `calls` pipeline calls of `total` steps each, `done` of them finished, reports
    its steps over all of them."""

    def callback(pipe, step, timestep, kwargs):
        if cancel:
            cancel.raise_if_cancelled()
        if on_step:
            on_step(done * total + step + 1, calls * total)
        return kwargs

    return callback


def run_guarded(call: Callable):
    """Run a pipeline call; an out-of-memory error frees the cache and becomes OutOfMemory."""
    try:
        with torch.inference_mode():
            return call()
    except Exception as error:
        if is_out_of_memory(error):
            free_accelerator_memory()
            raise OutOfMemory("out of GPU memory; lower the resolution or batch, or enable offload") from error
        raise


def generators(seeds: list[int]) -> list[torch.Generator]:
    # CPU generators give the same noise on every device, so a seed means the same image anywhere.
    return [torch.Generator("cpu").manual_seed(seed) for seed in seeds]
