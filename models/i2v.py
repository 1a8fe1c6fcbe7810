"""Image-to-video: the pipeline class comes from the folder's model_index.json (LTX-Video or SVD).

Callers pass one keyframe and get frames back; the per-family arguments live only here.
"""

from collections.abc import Callable
from pathlib import Path

from PIL import Image

from models.cancel import CancelToken
from models.device import Placement
from models.diffusion import generators, load_pipeline, run_guarded, step_callback


def _ltx_arguments(prompt: str, negative: str, fps: int) -> dict:
    return {
        "prompt": prompt or "natural motion",
        "negative_prompt": negative or "worst quality, inconsistent motion, blurry, jittery, distorted",
        "frame_rate": fps,
        "guidance_scale": 3.0,
        "max_sequence_length": 128,
    }


def _svd_arguments(prompt: str, negative: str, fps: int) -> dict:
    return {"fps": max(fps - 1, 1), "motion_bucket_id": 127, "decode_chunk_size": 8}  # SVD has no text input


FAMILIES = {"LTXImageToVideoPipeline": _ltx_arguments, "StableVideoDiffusionPipeline": _svd_arguments}


class ImageToVideoRuntime:
    role = "i2v"

    def __init__(self, folder: Path, placement: Placement):
        self.folder = folder
        self.placement = placement
        self.pipe, self.load_seconds, self.parameters = load_pipeline(self.role, folder, placement)
        self.name = type(self.pipe).__name__
        if self.name not in FAMILIES:
            raise ValueError(f"{folder} holds a {self.name}, not an image-to-video pipeline we support")
        self._arguments = FAMILIES[self.name]
        self.spatial_multiple = getattr(self.pipe, "vae_spatial_compression_ratio", None) or self.pipe.vae_scale_factor
        self.temporal_multiple = getattr(self.pipe, "vae_temporal_compression_ratio", 1)

    def frame_count(self, wanted: int) -> int:
        """The nearest count the model accepts at or above `wanted` (LTX: k * temporal ratio + 1)."""
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
    ) -> list[Image.Image]:
        width, height = self.fit_size(width, height)
        frames = self.frame_count(num_frames)
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
                **self._arguments(prompt, negative_prompt, fps),
            )
        )
        return [frame.convert("RGB") for frame in result.frames[0]]

    def unload(self) -> None:
        del self.pipe
