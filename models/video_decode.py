"""How the image-to-video model's VAE turns latents into frames: whole, or in overlapping tiles.

Wan 2.2's and LTX-Video's VAEs can decode each latent frame in spatial tiles that overlap and are
blended at their seams (Wan still decodes frame by frame with its causal cache inside each tile).
Tiles need less memory; whether they are faster depends on the GPU (docs/gpu-plan.md). A tile is
given in output pixels; neighbours start 3/4 of a tile apart, so a quarter is blended (a multiple
of 128 px keeps that stride a whole number of latents for Wan's 16 px and LTX's 32 px).
"""

import time
from collections.abc import Callable

import torch
from loguru import logger

TILE_STATE = (
    "use_tiling",
    "tile_sample_min_height",
    "tile_sample_min_width",
    "tile_sample_stride_height",
    "tile_sample_stride_width",
)


def decode_tile(settings) -> int | None:
    """The tile S2V_I2V_DECODE asks for: None decodes whole, 0 uses the VAE's own tile size."""
    if settings.i2v_decode == "full" or (settings.i2v_decode == "auto" and not settings.vae_tiling):
        return None
    return settings.i2v_decode_tile


def can_tile(vae) -> bool:
    """Wan's and LTX's VAEs can; SVD's temporal decoder decodes a few frames at a time instead."""
    return hasattr(vae, "tiled_decode") and hasattr(vae, "use_tiling")


def configure(vae, tile: int | None) -> None:
    """Set `vae` to decode whole (`tile` None) or in tiles, where it can."""
    if not can_tile(vae):
        if tile is not None:
            logger.warning("{} has no tiled decode; it decodes whole", type(vae).__name__)
        return
    if tile is None:
        vae.disable_tiling()
    elif tile == 0:
        vae.enable_tiling()
    else:
        stride = tile * 3 // 4
        vae.enable_tiling(
            tile_sample_min_height=tile,
            tile_sample_min_width=tile,
            tile_sample_stride_height=stride,
            tile_sample_stride_width=stride,
        )


def _timed_decode(vae, latents: torch.Tensor, extra: tuple) -> tuple[torch.Tensor, float, float]:
    """Frames, seconds and peak GPU memory (GB; 0 on CPU) of one decode."""
    cuda = latents.is_cuda
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    with torch.inference_mode():
        frames = vae.decode(latents, *extra, return_dict=False)[0]
    if cuda:
        torch.cuda.synchronize()
    peak = torch.cuda.max_memory_allocated() / 2**30 if cuda else 0.0
    return frames, time.perf_counter() - started, peak


def compare_decodes(vae, latents: torch.Tensor, tile: int, extra: tuple = ()) -> dict:
    """Decode `latents` whole and in `tile` tiles: each one's seconds and peak memory, and how far
    the tiled frames are from the whole ones in 8-bit pixel levels (mean and largest). `extra`: what
    the pipeline passes after the latents (LTX's decode timestep). Leaves `vae` as it found it."""
    kept = {name: getattr(vae, name) for name in TILE_STATE}
    try:
        configure(vae, None)
        whole, whole_s, whole_gb = _timed_decode(vae, latents, extra)
        configure(vae, tile)
        tiled, tiled_s, tiled_gb = _timed_decode(vae, latents, extra)
    finally:
        for name, value in kept.items():
            setattr(vae, name, value)
    # As the pipelines' post-processing does: [-1, 1] (clamped) to 0..255.
    difference = (tiled.float().clamp(-1, 1) - whole.float().clamp(-1, 1)).abs() * 127.5
    return {
        "full_s": round(whole_s, 4),
        "tiled_s": round(tiled_s, 4),
        "tile": tile,
        "full_peak_gb": round(whole_gb, 2),
        "tiled_peak_gb": round(tiled_gb, 2),
        "mean_abs_levels": round(float(difference.mean()), 3),
        "max_abs_levels": round(float(difference.max()), 3),
    }


def latents_decoded_by(vae, run: Callable[[], object]) -> tuple[torch.Tensor, tuple]:
    """The latents `vae` is asked to decode while `run()` makes a clip, and the arguments after
    them (LTX's decode timestep): what `compare_decodes` then decodes both ways."""
    seen = []
    decode = vae.decode

    def recording(latents, *extra, **options):
        seen.append((latents.clone(), extra))
        return decode(latents, *extra, **options)

    vae.decode = recording
    try:
        run()
    finally:
        del vae.decode
    return seen[0]
