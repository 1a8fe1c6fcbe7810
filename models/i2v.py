"""Image-to-video: the pipeline class comes from the folder's model_index.json (Wan 2.2, LTX-Video, SVD).

Callers pass one keyframe and get frames back; the per-family arguments, grids and text windows
live only here.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from models.cancel import CancelToken
from models.device import Placement
from models.diffusion import generators, load_pipeline, run_guarded, step_callback
from models.text_windows import Reading, one_window
from models.video_decode import configure


@dataclass(frozen=True)
class Family:
    arguments: Callable[[str, str, int], dict]
    guidance_key: str | None  # the call argument a guidance override sets; None: the family has no CFG knob
    spatial: Callable[[object], int]  # width and height must be multiples of this many pixels
    temporal: Callable[[object], int]  # frame counts are k * this + 1 (1: any count)
    text_window: int  # the `max_sequence_length` its T5/UMT5 encoder reads a prompt to; 0: no text input


def _wan_arguments(prompt: str, negative: str, fps: int) -> dict:
    # Wan has no frame-rate input: it is trained at 24 fps, and the clip is retimed after.
    return {
        "prompt": prompt or "natural motion",
        "negative_prompt": negative or "static, blurry, low quality, distorted, deformed, jittery, subtitles",
        "guidance_scale": 5.0,
    }


def _ltx_arguments(prompt: str, negative: str, fps: int) -> dict:
    return {
        "prompt": prompt or "natural motion",
        "negative_prompt": negative or "worst quality, inconsistent motion, blurry, jittery, distorted",
        "frame_rate": fps,
        "guidance_scale": 3.0,
    }


def _svd_arguments(prompt: str, negative: str, fps: int) -> dict:
    return {"fps": max(fps - 1, 1), "motion_bucket_id": 127, "decode_chunk_size": 8}  # SVD has no text input


FAMILIES = {
    # Wan 2.2 TI2V: 16x VAE times the transformer's 2x2 patches; 4x temporal VAE.
    "WanImageToVideoPipeline": Family(
        _wan_arguments,
        "guidance_scale",
        lambda pipe: pipe.vae_scale_factor_spatial * pipe.transformer.config.patch_size[1],
        lambda pipe: pipe.vae_scale_factor_temporal,
        512,  # UMT5
    ),
    "LTXImageToVideoPipeline": Family(
        _ltx_arguments,
        "guidance_scale",
        lambda pipe: pipe.vae_spatial_compression_ratio,
        lambda pipe: pipe.vae_temporal_compression_ratio,
        128,  # T5, LTX's default
    ),
    "StableVideoDiffusionPipeline": Family(
        _svd_arguments, "max_guidance_scale", lambda pipe: pipe.vae_scale_factor, lambda pipe: 1, 0
    ),
}
# Wan 2.2 TI2V folders name the text-to-video class (one model does both); its image-conditioned
# twin reads the same components and takes the keyframe as the first frame.
LOAD_AS = {"WanPipeline": "WanImageToVideoPipeline"}


def _loader(folder: Path):
    import diffusers

    index = folder / "model_index.json"
    name = json.loads(index.read_text()).get("_class_name") if index.is_file() else None
    return getattr(diffusers, LOAD_AS[name]) if name in LOAD_AS else diffusers.DiffusionPipeline


class ImageToVideoRuntime:
    role = "i2v"

    def __init__(self, folder: Path, placement: Placement, decode_tile: int | None = None):
        """`decode_tile`: None decodes clips whole, else in tiles of that many pixels (0: the VAE's
        own size); it, not S2V_VAE_TILING, decides for the video VAE (models/video_decode.py)."""
        self.folder = folder
        self.placement = placement
        self.pipe, self.load_seconds, self.parameters = load_pipeline(self.role, folder, placement, _loader(folder))
        self.name = type(self.pipe).__name__
        if self.name not in FAMILIES:
            raise ValueError(f"{folder} holds a {self.name}, not an image-to-video pipeline we support")
        configure(self.pipe.vae, decode_tile)
        self.family = FAMILIES[self.name]
        self.spatial_multiple = self.family.spatial(self.pipe)
        self.temporal_multiple = self.family.temporal(self.pipe)
        self.text_window = self.family.text_window

    def frame_count(self, wanted: int) -> int:
        """The nearest count the model accepts at or above `wanted` (Wan, LTX: k * temporal ratio + 1)."""
        step = self.temporal_multiple
        return max(wanted, 2) if step == 1 else ((max(wanted, 2) - 2) // step + 1) * step + 1

    def fit_size(self, width: int, height: int) -> tuple[int, int]:
        multiple = self.spatial_multiple
        return max(multiple, width // multiple * multiple), max(multiple, height // multiple * multiple)

    def animate(
        self,
        image: Image.Image,
        num_frames: int,
        width: int,
        height: int,
        steps: int,
        seed: int,
        fps: int,
        prompt: str = "",
        negative_prompt: str = "",
        cancel: CancelToken | None = None,
        on_step: Callable[[int, int], None] | None = None,
        guidance: float | None = None,
    ) -> list[Image.Image]:
        """`guidance` overrides the family's CFG scale (1.0 for distilled few-step checkpoints)."""
        if guidance is not None and guidance < 1.0:
            raise ValueError("guidance must be at least 1.0 (1.0 switches classifier-free guidance off)")
        width, height = self.fit_size(width, height)
        frames = self.frame_count(num_frames)
        arguments = self.family.arguments(prompt, negative_prompt, fps)
        if self.text_window:
            arguments["max_sequence_length"] = self.text_window
        if guidance is not None:
            arguments[self.family.guidance_key] = guidance
        result = run_guarded(
            lambda: self.pipe(
                image=image.convert("RGB").resize((width, height), Image.LANCZOS),
                width=width,
                height=height,
                num_frames=frames,
                num_inference_steps=steps,
                generator=generators([seed])[0],
                output_type="pil",
                callback_on_step_end=step_callback(cancel, on_step, steps),
                **arguments,
            )
        )
        return [frame.convert("RGB") for frame in result.frames[0]]

    def read_prompts(self, prompts: list[str]) -> list[Reading]:
        """One window of the family's encoder (what is past it is dropped); SVD reads no text."""
        if not self.text_window:
            return [Reading(0, 0) for _ in prompts]
        return one_window(self.pipe.tokenizer, prompts, self.text_window)

    def unload(self) -> None:
        del self.pipe
