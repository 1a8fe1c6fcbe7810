"""Where and how models run: device, dtype, attention kernel, VAE and offload options.

Every choice is a pure function of the settings and what the machine offers, so the selection
logic is unit-tested on CPU; `apply_to_pipeline` is the one place a diffusers pipeline is placed.
"""

import contextlib
from dataclasses import dataclass, field
from importlib.util import find_spec

import torch
from loguru import logger

from models.speed import Speed, apply_speed, speed_from

DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


@dataclass(frozen=True)
class Placement:
    device: str
    dtype: torch.dtype
    attention: str
    vae_slicing: bool
    vae_tiling: bool
    cpu_offload: str
    speed: Speed = field(default_factory=Speed)

    @property
    def dtype_name(self) -> str:
        return str(self.dtype).removeprefix("torch.")


def resolve_device(setting: str, cuda_available: bool) -> str:
    if setting == "cuda" and not cuda_available:
        raise RuntimeError("S2V_DEVICE=cuda but no CUDA device is visible to torch")
    if setting == "auto":
        return "cuda" if cuda_available else "cpu"
    return setting


def resolve_dtype(setting: str, device: str, bf16_supported: bool) -> torch.dtype:
    if setting != "auto":
        return DTYPES[setting]
    if device == "cpu":
        return torch.float32  # half precision on CPU is slower and lossy
    return torch.bfloat16 if bf16_supported else torch.float16


def resolve_attention(setting: str, device: str, xformers_available: bool) -> str:
    if setting == "xformers" and not xformers_available:
        raise RuntimeError("S2V_ATTENTION=xformers but xformers is not importable")
    if setting != "auto":
        return setting
    return "xformers" if device == "cuda" and xformers_available else "sdpa"


def resolve_offload(setting: str, device: str) -> str:
    # Offload moves weights between host and GPU; with no GPU there is nothing to offload to.
    return setting if device == "cuda" else "none"


def placement_from(settings) -> Placement:
    cuda = torch.cuda.is_available()
    device = resolve_device(settings.device, cuda)
    bf16 = cuda and torch.cuda.is_bf16_supported()
    capability = torch.cuda.get_device_capability() if device == "cuda" else None
    return Placement(
        device=device,
        dtype=resolve_dtype(settings.dtype, device, bf16),
        attention=resolve_attention(settings.attention, device, find_spec("xformers") is not None),
        vae_slicing=settings.vae_slicing,
        vae_tiling=settings.vae_tiling,
        cpu_offload=resolve_offload(settings.cpu_offload, device),
        speed=speed_from(settings, device, capability),
    )


def apply_to_pipeline(pipe, placement: Placement):
    """Place a diffusers pipeline and switch on the memory/speed options the placement asks for."""
    if placement.cpu_offload == "model":
        pipe.enable_model_cpu_offload(device=placement.device)
    elif placement.cpu_offload == "sequential":
        pipe.enable_sequential_cpu_offload(device=placement.device)
    else:
        pipe.to(placement.device)
    if placement.attention == "xformers":
        pipe.enable_xformers_memory_efficient_attention()
    elif placement.attention == "eager":
        for component in pipe.components.values():
            if hasattr(component, "set_default_attn_processor"):
                component.set_default_attn_processor()
    vae = getattr(pipe, "vae", None)
    for wanted, option in ((placement.vae_slicing, "enable_slicing"), (placement.vae_tiling, "enable_tiling")):
        if wanted and hasattr(vae, option):
            try:
                getattr(vae, option)()
            except NotImplementedError:  # e.g. SVD's temporal decoder, which chunks frames instead
                logger.debug("{} has no {}", type(vae).__name__, option)
    pipe.set_progress_bar_config(disable=True)
    applied = apply_speed(pipe, placement.speed)
    logger.debug("placed {} on {} ({}) {}", type(pipe).__name__, placement.device, placement.dtype_name, applied)
    return pipe


def side_stream(device: str):
    """A CUDA stream of its own for work that runs beside another thread's on the same GPU (a
    render's narration beside its clips): its kernels need not queue behind the other's, and its
    syncs wait for its own work only. Nothing elsewhere."""
    if device != "cuda":
        return contextlib.nullcontext()
    return torch.cuda.stream(torch.cuda.Stream())


def free_accelerator_memory() -> None:
    """Return cached blocks to the driver; called after an out-of-memory error and on unload."""
    import gc

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def is_out_of_memory(error: BaseException) -> bool:
    return isinstance(error, torch.OutOfMemoryError) or "out of memory" in str(error).lower()


def parameter_count(*modules) -> int:
    return sum(p.numel() for m in modules if isinstance(m, torch.nn.Module) for p in m.parameters())
