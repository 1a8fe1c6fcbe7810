"""Keyframes conditioned on characters' identity images through the tiny IP-Adapter on the tiny SDXL."""

import hashlib
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from models.errors import WeightsError
from models.registry import ModelRegistry
from models.t2i import TextToImageRuntime, side_by_side_masks
from models.weights import fingerprint
from tests.conftest import tiny_settings

SIZE = (128, 64)  # wide, so that two identities' strips are 64 pixels each
PROMPTS = ["a fox under the moon", "a keeper on the stairs"]
SEEDS = [1, 2]
RED = Image.new("RGBA", (40, 60), (200, 30, 30, 255))  # an alpha channel, as a portrait upload may have
NOISE = Image.fromarray(np.random.default_rng(0).integers(0, 255, (50, 50, 3), dtype=np.uint8))


@pytest.fixture(scope="module")
def adapted(tiny_weights, placement):
    return TextToImageRuntime(tiny_weights / "t2i", placement, tiny_weights / "ip-adapter")


@pytest.fixture(scope="module")
def plain(tiny_weights, placement):
    return TextToImageRuntime(tiny_weights / "t2i", placement)


def draw(runtime, identities=None, prompts=PROMPTS, seeds=SEEDS) -> list[np.ndarray]:
    images = runtime.generate(prompts, seeds, *SIZE, steps=2, identities=identities)
    return [np.asarray(image, dtype=float) for image in images]


def mean_difference(first: list[np.ndarray], second: list[np.ndarray], columns=slice(None)) -> float:
    """Mean absolute pixel difference (0..255) over the pictures, within `columns` of each."""
    return float(np.mean([np.abs(a[:, columns] - b[:, columns]).mean() for a, b in zip(first, second, strict=True)]))


@pytest.fixture(scope="module")
def without(adapted):
    return draw(adapted)


@pytest.fixture(scope="module")
def with_red(adapted):
    return draw(adapted, [(RED, 1.0)])


def test_the_adapter_loads_on_sdxl_and_names_its_folder(adapted, plain, tiny_weights):
    assert adapted.takes_identities and not plain.takes_identities
    assert adapted.extra_folders == (tiny_weights / "ip-adapter",) and plain.extra_folders == ()
    assert adapted.parameters > plain.parameters  # the image encoder and the adapter's projections


def test_z_image_takes_no_identities(tiny_weights, placement):  # FLUX.2 klein takes references: its own tests
    runtime = TextToImageRuntime(tiny_weights / "t2i-zimage", placement, tiny_weights / "ip-adapter")
    assert not runtime.takes_identities and runtime.extra_folders == ()


def test_without_identities_the_adapter_changes_nothing(adapted, plain, without):
    # Scale 0 skips the adapter's attention: the very pixels of a runtime that has no adapter.
    assert mean_difference(without, draw(plain)) == 0.0
    assert mean_difference(without, draw(adapted, [])) == 0.0
    assert mean_difference(without, draw(adapted, [(RED, 0.0)])) == 0.0


def test_a_reference_conditions_the_keyframe_and_repeats_exactly(adapted, without, with_red):
    assert mean_difference(with_red, without) > 0.3  # prompt changes move these tiny pictures by ~0.35
    assert mean_difference(with_red, draw(adapted, [(RED, 1.0)])) == 0.0
    assert all(image.shape == (SIZE[1], SIZE[0], 3) for image in with_red)


def test_strength_and_the_reference_both_matter(adapted, without, with_red):
    half = draw(adapted, [(RED, 0.5)])
    assert mean_difference(half, with_red) > 0.2 and mean_difference(half, without) > 0.2
    assert mean_difference(draw(adapted, [(NOISE, 1.0)]), with_red) > 0.2


def test_two_identities_each_hold_their_own_strip(adapted, with_red):
    with_noise = draw(adapted, [(NOISE, 1.0)])
    both = draw(adapted, [(RED, 1.0), (NOISE, 1.0)])
    assert mean_difference(both, with_red) > 0.2 and mean_difference(both, with_noise) > 0.2
    left, right = slice(0, 48), slice(80, 128)  # away from the seam, where convolutions mix the strips
    assert mean_difference(both, with_red, left) < mean_difference(both, with_red, right)
    assert mean_difference(both, with_noise, right) < mean_difference(both, with_noise, left)
    swapped = draw(adapted, [(NOISE, 1.0), (RED, 1.0)])
    assert mean_difference(swapped, both) > 0.2  # the order given is the order of the strips


def test_identities_with_classifier_free_guidance(adapted, plain):
    def guided(runtime, identities):
        images = runtime.generate(PROMPTS, SEEDS, *SIZE, steps=2, guidance=2.0, identities=identities)
        return [np.asarray(image, dtype=float) for image in images]

    unconditioned = guided(adapted, None)
    assert mean_difference(unconditioned, guided(plain, None)) == 0.0
    assert mean_difference(guided(adapted, [(RED, 1.0), (NOISE, 0.5)]), unconditioned) > 0.3


def test_identities_without_an_adapter_are_refused(plain):
    with pytest.raises(ValueError, match="no IP-Adapter"):
        plain.generate(PROMPTS, SEEDS, *SIZE, identities=[(RED, 1.0)])
    assert len(plain.generate(PROMPTS, SEEDS, *SIZE, steps=1, identities=[])) == 2


@pytest.mark.parametrize(
    ("identities", "message"),
    [
        ([(RED, 1.5)], "between 0 and 1"),
        ([(RED, float("nan"))], "between 0 and 1"),
        ([("ava.png", 0.5)], "PIL image"),
        ([RED], "pair"),
    ],
)
def test_bad_identities_are_clear_errors(adapted, identities, message):
    with pytest.raises(ValueError, match=message):
        adapted.generate(PROMPTS, SEEDS, *SIZE, identities=identities)


def test_strips_cover_the_frame_once_left_to_right():
    masks = side_by_side_masks(3, 90, 8)
    assert masks.shape == (1, 3, 8, 90)
    assert torch.equal(masks.sum(dim=1), torch.ones(1, 8, 90))
    assert [int(masks[0, i, 0].nonzero().min()) for i in range(3)] == [0, 30, 60]


def test_the_adapter_is_part_of_the_model_identity(tiny_weights, tmp_path):
    def t2i_identity(adapter):
        return ModelRegistry(tiny_settings(tmp_path, ip_adapter_model=str(adapter))).get("t2i").identity

    copy = tmp_path / "ip-adapter-copy"
    shutil.copytree(tiny_weights / "ip-adapter", copy)
    with_adapter = t2i_identity(tiny_weights / "ip-adapter")
    assert t2i_identity(copy) == with_adapter  # the same files: the same keyframes
    (copy / "sdxl_models" / "notes.txt").write_text("retrained")
    assert t2i_identity(copy) != with_adapter  # a changed adapter remakes keyframes
    # Without an adapter the identity is what it was before adapters existed: old keyframes stay valid.
    parts = ("t2i", "StableDiffusionXLPipeline", fingerprint(tiny_weights / "t2i"), "cpu", "float32")
    assert t2i_identity(tmp_path / "absent") == hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def test_a_broken_adapter_folder_is_a_weights_error(tiny_weights, placement, tmp_path):
    broken = tmp_path / "ip-adapter"
    shutil.copytree(tiny_weights / "ip-adapter", broken)
    (broken / "sdxl_models" / "ip-adapter_sdxl_vit-h.safetensors").unlink()
    with pytest.raises(WeightsError, match=r"fetch_weights\.py --role ip-adapter"):
        TextToImageRuntime(tiny_weights / "t2i", placement, broken)
