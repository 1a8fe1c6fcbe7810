"""GPU speed options for a pipeline's denoiser (the transformer or UNet that runs every step).

Each option is a setting; which ones apply is a pure function of the settings and what the machine
offers (tested on CPU), and `apply_speed` is the one place they are switched on:
- cache: diffusers' First-Block-Cache hook skips the rest of the blocks on steps where the first
  block's output barely changed (a quality/speed trade: its threshold is a setting);
- compile: `compile_repeated_blocks` compiles one transformer block and reuses it for all of them,
  a fraction of a whole-model compile's start-up time;
- fp8: torchao's dynamic float8 matmuls, on GPUs with float8 tensor cores (compute capability 8.9+);
- attention backend: diffusers' attention dispatcher (native SDPA, cuDNN, flash, ...).
"""

from dataclasses import dataclass
from importlib.util import find_spec

import torch
from loguru import logger

BF16 = torch.bfloat16
FP8_CAPABILITY = (8, 9)  # Ada and Hopper have float8 tensor cores; Ampere has none


@dataclass(frozen=True)
class Speed:
    cache: str = "none"  # "none" | "first-block"
    cache_threshold: float = 0.05
    compile: bool = False
    fp8: bool = False
    attention_backend: str | None = None  # None: diffusers' default (native SDPA)


def resolve_fp8(
    setting: str, device: str, capability: tuple[int, int] | None, torchao_available: bool, compiled: bool
) -> bool:
    """auto: only with compiled blocks, where the GPU has float8. Eager, torchao's per-call scaling
    costs more than the faster matmuls save (measured on an H100: docs/gpu-plan.md)."""
    has_fp8 = device == "cuda" and capability is not None and capability >= FP8_CAPABILITY
    if setting == "on":
        if not has_fp8:
            raise RuntimeError("S2V_FP8=on needs a CUDA GPU of compute capability 8.9 or newer (Ada, Hopper)")
        if not torchao_available:
            raise RuntimeError("S2V_FP8=on needs torchao (pip install torchao)")
        return True
    return setting == "auto" and has_fp8 and torchao_available and compiled


def resolve_compile(setting: bool, device: str) -> bool:
    # On CPU a compile costs minutes and buys little; the option is for GPUs.
    return setting and device == "cuda"


def resolve_attention_backend(setting: str, device: str) -> str | None:
    if setting == "auto":
        return None
    if device != "cuda" and setting not in ("native", "_native_math", "flex"):
        raise RuntimeError(f"S2V_ATTENTION_BACKEND={setting} needs a CUDA GPU")
    return setting


def speed_from(settings, device: str, capability: tuple[int, int] | None) -> Speed:
    compiled = resolve_compile(settings.compile_blocks, device)
    return Speed(
        cache=settings.denoiser_cache,
        cache_threshold=settings.denoiser_cache_threshold,
        compile=compiled,
        fp8=resolve_fp8(settings.fp8, device, capability, find_spec("torchao") is not None, compiled),
        attention_backend=resolve_attention_backend(settings.attention_backend, device),
    )


def denoiser(pipe):
    return getattr(pipe, "transformer", None) or getattr(pipe, "unet", None)


def apply_speed(pipe, speed: Speed) -> list[str]:
    """Switch on what `speed` asks for on the pipeline's denoiser; returns what was applied."""
    model = denoiser(pipe)
    applied: list[str] = []
    if model is None:
        return applied
    if speed.attention_backend and hasattr(model, "set_attention_backend"):
        model.set_attention_backend(speed.attention_backend)
        applied.append(f"attention:{speed.attention_backend}")
    if speed.cache == "first-block":
        if hasattr(model, "enable_cache"):
            from diffusers import FirstBlockCacheConfig

            model.enable_cache(FirstBlockCacheConfig(threshold=speed.cache_threshold))
            applied.append("cache:first-block")
        else:
            logger.warning("{} has no cache hooks; S2V_DENOISER_CACHE ignored", type(model).__name__)
    if speed.fp8:
        from torchao.quantization import Float8DynamicActivationFloat8WeightConfig, PerRow, quantize_

        # Only the bf16 linear layers: diffusers keeps norms and embedders in float32 on purpose.
        quantize_(
            model,
            Float8DynamicActivationFloat8WeightConfig(granularity=PerRow()),
            filter_fn=lambda module, name: (
                isinstance(module, torch.nn.Linear) and module.weight.dtype == torch.bfloat16
            ),
        )
        applied.append("fp8")
    if speed.compile:
        if getattr(model, "_repeated_blocks", None):
            model.compile_repeated_blocks(fullgraph=True)
            applied.append("compile:repeated-blocks")
        else:
            logger.warning("{} names no repeated blocks; S2V_COMPILE_BLOCKS ignored", type(model).__name__)
    return applied
