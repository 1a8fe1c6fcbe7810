"""Keyframes conditioned on characters' identity images as FLUX.2 klein's own reference images, on
the tiny FLUX.2 klein: the same promises as the IP-Adapter path (tests/models/test_ip_adapter.py)."""

import numpy as np
import pytest
from PIL import Image

from models.t2i import TextToImageRuntime, as_reference
from tests.models.test_ip_adapter import NOISE, PROMPTS, RED, SEEDS, draw, mean_difference


@pytest.fixture(scope="module")
def klein(tiny_weights, placement):
    return TextToImageRuntime(tiny_weights / "t2i-flux2", placement, tiny_weights / "ip-adapter")


@pytest.fixture(scope="module")
def plain(klein):
    return draw(klein)


@pytest.fixture(scope="module")
def with_red(klein):
    return draw(klein, [(RED, 1.0)])


def test_klein_takes_identities_natively_with_no_adapter(klein):
    assert klein.name == "Flux2KleinPipeline" and klein.takes_identities
    assert klein.extra_folders == ()  # the IP-Adapter beside it is for SDXL: not loaded, not in its identity


def test_a_keyframe_naming_nobody_is_the_plain_one(klein, plain, tiny_weights, placement):
    assert mean_difference(plain, draw(klein, [])) == 0.0
    assert mean_difference(plain, draw(klein, [(RED, 0.0)])) == 0.0  # strength 0: left out
    without_adapter_folder = TextToImageRuntime(tiny_weights / "t2i-flux2", placement)
    assert mean_difference(plain, draw(without_adapter_folder)) == 0.0


def test_a_reference_conditions_the_keyframe_and_repeats_exactly(klein, plain, with_red):
    assert mean_difference(with_red, plain) > 0.01  # a prompt change moves these tiny pictures by ~0.04
    assert mean_difference(with_red, draw(klein, [(RED, 1.0)])) == 0.0
    assert all(image.shape == (64, 128, 3) for image in with_red)


def test_each_reference_matters_and_several_are_taken(klein, with_red):
    with_noise = draw(klein, [(NOISE, 1.0)])
    both = draw(klein, [(RED, 1.0), (NOISE, 1.0)])
    assert mean_difference(with_noise, with_red) > 0.01
    assert mean_difference(both, with_red) > 0.01 and mean_difference(both, with_noise) > 0.01


def test_a_portraits_alpha_and_odd_size_are_taken(klein):
    odd = Image.new("RGBA", (37, 53), (20, 200, 30, 128))
    images = klein.generate(PROMPTS, SEEDS, 128, 64, steps=1, identities=[(odd, 0.7)])
    assert [image.size for image in images] == [(128, 64), (128, 64)]
    assert np.asarray(images[0]).std() > 0


@pytest.mark.parametrize(("identities", "message"), [([(RED, 1.5)], "between 0 and 1"), ([RED], "pair")])
def test_bad_identities_are_clear_errors(klein, identities, message):
    with pytest.raises(ValueError, match=message):
        klein.generate(PROMPTS, SEEDS, 128, 64, identities=identities)


@pytest.mark.parametrize(
    ("size", "expected"),
    [((40, 60), (64, 96)), ((10, 200), (64, 512)), ((1000, 50), (512, 64)), ((512, 512), (512, 512))],
)
def test_references_are_brought_within_the_pipelines_bounds(size, expected):
    assert as_reference(Image.new("RGB", size)).size == expected
