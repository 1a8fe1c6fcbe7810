"""Text-to-image keyframes through diffusers; the folder's model_index.json picks the pipeline.

SDXL-Turbo (non-commercial), or the Apache-2.0 alternatives Z-Image-Turbo and FLUX.2 klein 4B.
"""

import inspect
from collections.abc import Callable
from pathlib import Path

from diffusers import AutoPipelineForText2Image
from PIL import Image

from models.cancel import CancelToken
from models.device import Placement
from models.diffusion import generators, load_pipeline, run_guarded, step_callback


class TextToImageRuntime:
    role = "t2i"

    def __init__(self, folder: Path, placement: Placement):
        self.folder = folder
        self.placement = placement
        self.pipe, self.load_seconds, self.parameters = load_pipeline(
            self.role, folder, placement, AutoPipelineForText2Image
        )
        self.name = type(self.pipe).__name__
        self.scale = self.pipe.vae_scale_factor
        # FLUX.2 klein takes no negative prompt (its distilled checkpoint runs without CFG).
        self._takes_negative = "negative_prompt" in inspect.signature(self.pipe.__call__).parameters

    def generate(
        self,
        prompts: list[str],
        seeds: list[int],
        width: int,
        height: int,
        steps: int = 4,
        guidance: float = 0.0,
        negative_prompts: list[str] | None = None,
        cancel: CancelToken | None = None,
        on_step: Callable[[int, int], None] | None = None,
    ) -> list[Image.Image]:
        """One image per prompt, one seed per image, in a single batched call."""
        if len(prompts) != len(seeds):
            raise ValueError("one seed per prompt")
        if width % 8 or height % 8:
            raise ValueError("width and height must be multiples of 8")
        extra = {}
        if guidance > 1.0 and negative_prompts and self._takes_negative:  # no CFG, no negative branch
            extra["negative_prompt"] = negative_prompts
        result = run_guarded(
            lambda: self.pipe(
                prompt=prompts,
                width=width,
                height=height,
                num_inference_steps=steps,
                guidance_scale=guidance,
                generator=generators(seeds),
                callback_on_step_end=step_callback(cancel, on_step, steps),
                **extra,
            )
        )
        return [image.convert("RGB") for image in result.images]

    def unload(self) -> None:
        del self.pipe
