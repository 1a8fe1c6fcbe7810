"""Text windows on the tiny weights: SDXL reads a long prompt whole, in CLIP windows; the families
that cannot (T5, UMT5, a chat model's template) say how many tokens they dropped. The tiny CLIP
tokenizer spells each byte as a token (scripts/tiny_tokenizers.py), with CLIP's real window of 77,
so a prompt of 100 letters is 100 tokens and the window cuts as the real one does."""

import numpy as np
import pytest
import torch
from PIL import Image

from models.diffusion import generators
from models.i2v import ImageToVideoRuntime
from models.registry import ModelRegistry
from models.t2i import TextToImageRuntime
from models.text_windows import Reading, sdxl_embeddings

LONG = "a lighthouse keeper climbs the winding stairs at night, storm clouds over the sea, rain on the glass"
TAIL = ", a red fox waits by the door"
LONG_NEGATIVE = "blurry, lowres, deformed hands, extra fingers, watermark, signature, text, jpeg artifacts, noise"


@pytest.fixture(scope="module")
def sdxl(tiny_weights, placement):
    """The tiny SDXL without an IP-Adapter, so diffusers' own call can draw beside ours."""
    return TextToImageRuntime(tiny_weights / "t2i", placement)


def tokens(runtime, text: str) -> int:
    return len(runtime.pipe.tokenizer(text, add_special_tokens=False).input_ids)


def test_the_tiny_tokenizers_cut_where_the_real_ones_do(sdxl):
    assert sdxl.text_window == sdxl.pipe.tokenizer.model_max_length == sdxl.pipe.tokenizer_2.model_max_length == 77
    # The tail starts past the 75 tokens of the first window, and the whole is about 100 tokens.
    assert tokens(sdxl, LONG) > 75 and 95 <= tokens(sdxl, LONG + TAIL) <= 110
    assert sdxl.read_prompts(["a fox", LONG + TAIL]) == [Reading(1, 0), Reading(2, 0)]


def test_a_prompt_of_one_window_is_encoded_as_diffusers_encodes_it(sdxl):
    prompts, negatives = ["a fox under the moon", "a lighthouse"], ["blurry", ""]
    with torch.inference_mode():
        ours = sdxl_embeddings(sdxl.pipe, prompts, negatives, guided=True)
        theirs = sdxl.pipe.encode_prompt(prompts, device="cpu", negative_prompt=negatives)
    names = ("prompt_embeds", "negative_prompt_embeds", "pooled_prompt_embeds", "negative_pooled_prompt_embeds")
    for name, expected in zip(names, theirs, strict=True):
        assert torch.equal(ours[name], expected), name


def test_words_past_the_first_window_change_the_keyframe(sdxl):
    def diffusers_draws(prompt: str) -> np.ndarray:
        image = sdxl.pipe(prompt=prompt, width=64, height=64, num_inference_steps=2, generator=generators([3]))
        return np.asarray(image.images[0])

    # diffusers alone cuts at the window: the tail changes nothing. That is what the windows fix.
    assert np.array_equal(diffusers_draws(LONG), diffusers_draws(LONG + TAIL))
    without, with_tail = (np.asarray(sdxl.generate([p], [3], 64, 64, steps=2)[0]) for p in (LONG, LONG + TAIL))
    assert not np.array_equal(without, with_tail)
    again = np.asarray(sdxl.generate([LONG + TAIL], [3], 64, 64, steps=2)[0])
    assert np.array_equal(with_tail, again)


def test_long_prompts_batch_with_guidance_negatives_and_an_identity(registry):
    t2i = registry.get("t2i")
    assert t2i.takes_identities  # the IP-Adapter path
    face = [(Image.new("RGB", (64, 64), "orange"), 0.5)]
    prompts, seeds, negatives = [LONG + TAIL, "a fox"], [3, 4], [LONG_NEGATIVE, ""]
    steps = []
    both = t2i.generate(
        prompts,
        seeds,
        64,
        64,
        steps=2,
        guidance=2.0,
        negative_prompts=negatives,
        identities=face,
        on_step=lambda i, n: steps.append((i, n)),
    )
    # One call per count of windows, so that no prompt is padded to a longer one's; one progress.
    assert steps == [(1, 4), (2, 4), (3, 4), (4, 4)]
    for prompt, seed, negative, image in zip(prompts, seeds, negatives, both, strict=True):
        alone = t2i.generate(
            [prompt], [seed], 64, 64, steps=2, guidance=2.0, negative_prompts=[negative], identities=face
        )
        # Alone, the same picture, up to GEMM rounding across batch sizes.
        assert np.abs(np.asarray(alone[0]).astype(int) - np.asarray(image).astype(int)).max() <= 2


@pytest.mark.parametrize("folder", ["t2i-zimage", "t2i-flux2"])
def test_chat_encoders_read_one_window_and_count_what_they_drop(tiny_weights, placement, folder):
    t2i = TextToImageRuntime(tiny_weights / folder, placement)
    assert t2i.text_window == 512  # the pipelines' max_sequence_length
    short, long = t2i.read_prompts(["a fox", "zq xv " * 300])
    assert short == Reading(1, 0) and long.windows == 1 and long.dropped > 0


def test_video_encoders_read_their_family_window(tiny_weights, placement):
    ltx = ImageToVideoRuntime(tiny_weights / "i2v", placement)
    assert ltx.text_window == 128  # LTX-Video's T5 window
    tokenizer = ltx.pipe.tokenizer
    text = (LONG + TAIL + ". ") * 4
    assert ltx.read_prompts([LONG, text]) == [Reading(1, 0), Reading(1, len(tokenizer(text).input_ids) - 128)]
    svd = ImageToVideoRuntime(tiny_weights / "i2v-svd", placement)
    assert svd.text_window == 0 and svd.read_prompts([text]) == [Reading(0, 0)]  # it reads no text


def test_the_registry_knows_the_window_without_loading_the_model(settings):
    fresh = ModelRegistry(settings)
    assert fresh.prompt_window() == 77
    assert fresh.report() == []  # nothing was loaded to answer
