"""Text-to-image keyframes through diffusers; the folder's model_index.json picks the pipeline.

SDXL-Turbo (non-commercial), or the Apache-2.0 alternatives Z-Image-Turbo and FLUX.2 klein 4B.
Keyframes are conditioned on the identity images of the characters a shot names
(`takes_identities`) by the families that can: FLUX.2 klein takes them natively as reference
images (multi-reference editing), and on SDXL an IP-Adapter folder in the layout of
h94/IP-Adapter does it; Z-Image keeps faces by description only. SDXL reads a prompt of any
length, in windows of 77 CLIP tokens (models/text_windows.py); the other families read one window
of their encoder and drop the rest, which `read_prompts` counts.
"""

import inspect
import json
import math
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import diffusers
import torch
from diffusers import AutoPipelineForText2Image
from loguru import logger
from PIL import Image
from transformers import CLIPImageProcessor

from models.cancel import CancelToken
from models.device import Placement, parameter_count
from models.diffusion import generators, load_pipeline, run_guarded, step_callback
from models.text_windows import Reading, one_window, sdxl_embeddings, sdxl_groups, sdxl_readings
from models.weights import check_folder, check_model_dir, check_safetensors, fail

ADAPTER_SUBFOLDER = "sdxl_models"
ADAPTER_WEIGHTS = "ip-adapter_sdxl_vit-h.safetensors"
IMAGE_ENCODER = "models/image_encoder"

MIN_REFERENCE_SIDE = 64  # FLUX.2's image processor refuses smaller reference pictures
MAX_REFERENCE_RATIO = 8  # and longer ones than 8:1

IdentityImage = tuple[Image.Image, float]  # a character's identity image and its strength, 0..1
WINDOWED = ("StableDiffusionXLPipeline",)  # the families whose prompts are encoded window by window
# The families whose text encoder is a chat model: the prompt is wrapped in its chat template first
# (as diffusers' Z-Image and FLUX.2 klein pipelines do), with the `enable_thinking` each one gives.
CHAT_TEMPLATED = {"ZImagePipeline": True, "Flux2KleinPipeline": False}


def text_window(folder: Path) -> int:
    """How many tokens of a prompt the folder's model reads at once, from its files and its diffusers
    class alone (nothing loaded): the `max_sequence_length` its pipeline reads prompts to, else its
    tokenizer's length (CLIP's 77)."""
    check_folder("t2i", folder, "diffusers")
    name = json.loads((folder / "model_index.json").read_text())["_class_name"]
    pipeline = getattr(diffusers, name, None)
    parameter = inspect.signature(pipeline.__call__).parameters.get("max_sequence_length") if pipeline else None
    if parameter is not None:
        return parameter.default
    tokenizer = folder / "tokenizer" / "tokenizer_config.json"
    return int(json.loads(tokenizer.read_text())["model_max_length"]) if tokenizer.is_file() else 0


class TextToImageRuntime:
    role = "t2i"

    def __init__(self, folder: Path, placement: Placement, ip_adapter_folder: Path | None = None):
        self.folder = folder
        self.placement = placement
        self.pipe, self.load_seconds, self.parameters = load_pipeline(
            self.role, folder, placement, AutoPipelineForText2Image
        )
        self.name = type(self.pipe).__name__
        self.scale = self.pipe.vae_scale_factor
        self.text_window = text_window(folder)
        # FLUX.2 klein takes no negative prompt (its distilled checkpoint runs without CFG).
        self._takes_negative = "negative_prompt" in inspect.signature(self.pipe.__call__).parameters
        # Weight folders besides `folder` that change the pictures; the registry's identity covers them.
        self.extra_folders: tuple[Path, ...] = ()
        # FLUX.2 klein's pipeline takes reference images (`image`) itself: no adapter to load.
        self._takes_references = "image" in inspect.signature(self.pipe.__call__).parameters
        self.takes_identities = self._takes_references or self._load_ip_adapter(ip_adapter_folder)

    def _load_ip_adapter(self, folder: Path | None) -> bool:
        """Load the IP-Adapter when its folder exists and the pipeline takes one (the SDXL family)."""
        if folder is None or not folder.exists():
            return False
        if not hasattr(self.pipe, "load_ip_adapter"):
            logger.info("{} takes no IP-Adapter; {} is not used", self.name, folder)
            return False
        check_ip_adapter(folder)
        started = time.perf_counter()
        if self.placement.cpu_offload != "none":  # set again below, so that the new image encoder joins them
            self.pipe.remove_all_hooks()
        encoder = folder / IMAGE_ENCODER
        if (encoder / "preprocessor_config.json").is_file():  # else diffusers makes CLIP's, at the encoder's size
            self.pipe.register_modules(feature_extractor=CLIPImageProcessor.from_pretrained(encoder))
        self.pipe.load_ip_adapter(
            str(folder),
            subfolder=ADAPTER_SUBFOLDER,
            weight_name=ADAPTER_WEIGHTS,
            image_encoder_folder=IMAGE_ENCODER,
            local_files_only=True,
        )
        if self.placement.cpu_offload == "model":
            self.pipe.enable_model_cpu_offload(device=self.placement.device)
        elif self.placement.cpu_offload == "sequential":
            self.pipe.enable_sequential_cpu_offload(device=self.placement.device)
        self.load_seconds += time.perf_counter() - started
        self.parameters = parameter_count(*self.pipe.components.values())
        self.extra_folders = (folder,)
        return True

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
        identities: list[IdentityImage] | None = None,
    ) -> list[Image.Image]:
        """One image per prompt, one seed per image, in a single batched call (SDXL: one call per
        count of text windows, so that no prompt is padded to another's length and an image depends
        on its own prompt and seed alone, whatever batch it is drawn in).

        `identities` ((image, strength) pairs) condition every prompt of the call; the caller checks
        `takes_identities` first: a model that takes none refuses them (ValueError). FLUX.2 klein
        has no strength for a reference: a pair of strength 0 is left out, any other is used whole.
        """
        if len(prompts) != len(seeds):
            raise ValueError("one seed per prompt")
        if width % 8 or height % 8:
            raise ValueError("width and height must be multiples of 8")
        identities = checked_identities(identities)
        if identities and not self.takes_identities:
            raise ValueError(f"{self.name} has no IP-Adapter loaded: it cannot take identity images")
        if self._takes_references:
            references = [as_reference(image) for image, strength in identities if strength > 0]
            extra = {"image": references} if references else {}  # none: the very call of a plain keyframe
        elif self.takes_identities:
            extra = self._identity_arguments(identities, width, height, guidance)
        else:
            extra = {}
        # No CFG, no negative branch.
        negatives = negative_prompts if guidance > 1.0 and negative_prompts and self._takes_negative else None
        groups = sdxl_groups(self.pipe, prompts, negatives) if self.name in WINDOWED else [list(range(len(prompts)))]
        images: dict[int, Image.Image] = {}
        for number, group in enumerate(groups):
            call = partial(
                self._draw,
                [prompts[i] for i in group],
                [negatives[i] for i in group] if negatives else None,
                guidance,
                width=width,
                height=height,
                num_inference_steps=steps,
                generator=generators([seeds[i] for i in group]),
                callback_on_step_end=step_callback(cancel, on_step, steps, done=number, calls=len(groups)),
                **extra,
            )
            images.update(zip(group, run_guarded(call), strict=True))
        return [images[i].convert("RGB") for i in range(len(prompts))]

    def _draw(self, prompts: list[str], negatives: list[str] | None, guidance: float, **arguments) -> list:
        """One pipeline call; SDXL's prompts are encoded here, inside the guarded call, so running
        out of memory there is reported as any other."""
        text = self._text_arguments(prompts, negatives, guidance)
        return self.pipe(**text, guidance_scale=guidance, **arguments).images

    def read_prompts(self, prompts: list[str]) -> list[Reading]:
        """How the text encoder reads each prompt: SDXL all of it, in windows; the others one window."""
        if self.name in WINDOWED:
            return sdxl_readings(self.pipe, prompts)
        tokenizer = getattr(self.pipe, "tokenizer", None)
        if tokenizer is None or not self.text_window:
            return [Reading(0, 0) for _ in prompts]
        if self.name in CHAT_TEMPLATED:
            thinking = CHAT_TEMPLATED[self.name]
            prompts = [
                tokenizer.apply_chat_template(
                    [{"role": "user", "content": prompt}],
                    tokenize=False,
                    add_generation_prompt=True,
                    enable_thinking=thinking,
                )
                for prompt in prompts
            ]
        return one_window(tokenizer, prompts, self.text_window)

    def _text_arguments(self, prompts: list[str], negatives: list[str] | None, guidance: float) -> dict:
        """The prompts as the pipeline takes them: SDXL's as the embeddings of all their windows."""
        if self.name in WINDOWED:
            return sdxl_embeddings(self.pipe, prompts, negatives, self._guided(guidance))
        return {"prompt": prompts, **({"negative_prompt": negatives} if negatives else {})}

    def _guided(self, guidance: float) -> bool:
        """Whether SDXL runs classifier-free guidance, as its pipeline decides (a distilled UNet never does)."""
        return guidance > 1.0 and self.pipe.unet.config.time_cond_proj_dim is None

    def _identity_arguments(self, identities: list[IdentityImage], width: int, height: int, guidance: float) -> dict:
        """The pipeline arguments for a call's identities; the adapter's scale is set per call.

        None: scale 0 and zero image embeddings, so the adapter's attention is skipped and the
        picture is the one the model draws without an adapter. One: it conditions the whole
        picture at its strength. Several: each image has its own scale and a mask, the frame cut
        into side-by-side vertical strips, left to right in the order given (hard edges: the
        masks are resized to each attention layer's grid, which softens them a little).
        """
        if not identities:
            self.pipe.set_ip_adapter_scale(0.0)
            return {"ip_adapter_image_embeds": [self._blank_image_embeds(guidance)]}
        images = [image for image, _ in identities]
        strengths = [strength for _, strength in identities]
        if len(identities) == 1:
            self.pipe.set_ip_adapter_scale(strengths[0])
            return {"ip_adapter_image": [images]}
        self.pipe.set_ip_adapter_scale([strengths])  # one adapter, one scale per image
        masks = side_by_side_masks(len(images), width, height)
        return {"ip_adapter_image": [images], "cross_attention_kwargs": {"ip_adapter_masks": [masks]}}

    def _blank_image_embeds(self, guidance: float) -> torch.Tensor:
        # With CFG the pipeline splits embeddings into negative and positive halves, as its own do.
        halves = 2 if self._guided(guidance) else 1
        width = self.pipe.image_encoder.config.projection_dim
        return torch.zeros(halves, 1, width, dtype=self.pipe.unet.dtype)

    def unload(self) -> None:
        del self.pipe


def check_ip_adapter(folder: Path) -> None:
    """The adapter's safetensors file and its image encoder folder, checked before diffusers reads them."""
    weights = folder / ADAPTER_SUBFOLDER / ADAPTER_WEIGHTS
    if not weights.is_file():
        raise fail("ip-adapter", folder, f"{weights.relative_to(folder)} is missing")
    check_safetensors("ip-adapter", folder, weights)
    check_model_dir("ip-adapter", folder, folder / IMAGE_ENCODER)


def checked_identities(identities: list[IdentityImage] | None) -> list[IdentityImage]:
    """Identity pairs validated, their images in RGB (a portrait's alpha channel means nothing here)."""
    checked = []
    for index, pair in enumerate(identities or []):
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], Image.Image)):
            raise ValueError(f"identities[{index}] must be an (image, strength) pair with a PIL image")
        image, strength = pair
        if not (isinstance(strength, int | float) and math.isfinite(strength) and 0.0 <= strength <= 1.0):
            raise ValueError(f"identities[{index}]: strength must be between 0 and 1, got {strength!r}")
        checked.append((image.convert("RGB"), float(strength)))
    return checked


def as_reference(image: Image.Image) -> Image.Image:
    """A picture within FLUX.2's bounds for a reference (sides of 64 pixels or more, 8:1 at most):
    a small one enlarged, a strip cut to its middle; the pipeline scales large ones down itself."""
    width, height = image.size
    if max(width, height) > MAX_REFERENCE_RATIO * min(width, height):
        keep_w, keep_h = min(width, MAX_REFERENCE_RATIO * height), min(height, MAX_REFERENCE_RATIO * width)
        left, top = (width - keep_w) // 2, (height - keep_h) // 2
        image = image.crop((left, top, left + keep_w, top + keep_h))
        width, height = image.size
    if min(width, height) < MIN_REFERENCE_SIDE:
        scale = MIN_REFERENCE_SIDE / min(width, height)
        image = image.resize(
            (max(MIN_REFERENCE_SIDE, round(width * scale)), max(MIN_REFERENCE_SIDE, round(height * scale)))
        )
    return image


def side_by_side_masks(count: int, width: int, height: int) -> torch.Tensor:
    """diffusers' IP-Adapter masks for one adapter, [1, count, height, width]: strip i is 1, the rest 0."""
    masks = torch.zeros(1, count, height, width)
    edges = [round(i * width / count) for i in range(count + 1)]
    for i in range(count):
        masks[0, i, :, edges[i] : edges[i + 1]] = 1.0
    return masks
