"""The alternative families on their tiny weights: Wan 2.2 TI2V, Z-Image, FLUX.2 klein, and the speed hooks."""

from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from models.i2v import ImageToVideoRuntime
from models.speed import Speed
from models.t2i import TextToImageRuntime


@pytest.fixture(scope="module")
def wan(tiny_weights, placement):
    return ImageToVideoRuntime(tiny_weights / "i2v-wan", placement)


def test_wan_ti2v_folder_loads_as_the_image_to_video_pipeline(tiny_weights, wan):
    # The folder names WanPipeline, as the published TI2V-5B one does; the keyframe needs its i2v twin.
    assert '"WanPipeline"' in (tiny_weights / "i2v-wan" / "model_index.json").read_text()
    assert wan.name == "WanImageToVideoPipeline" and wan.pipe.config.expand_timesteps


def test_wan_grid_is_32_pixels_and_4k_plus_1_frames(wan):
    assert (wan.spatial_multiple, wan.temporal_multiple) == (32, 4)
    assert [wan.frame_count(n) for n in (2, 5, 6, 24, 121)] == [5, 5, 9, 25, 121]
    assert wan.fit_size(1280, 720) == (1280, 704)


def test_wan_guidance_override_changes_the_clip_and_is_validated(wan):
    image = Image.new("RGB", (64, 64), "teal")
    with_cfg = wan.animate(image, 5, 64, 64, steps=2, seed=1, fps=24, prompt="waves")
    without = wan.animate(image, 5, 64, 64, steps=2, seed=1, fps=24, prompt="waves", guidance=1.0)
    assert len(with_cfg) == len(without) == 5
    assert not np.array_equal(np.asarray(with_cfg[-1]), np.asarray(without[-1]))
    with pytest.raises(ValueError, match=r"at least 1\.0"):
        wan.animate(image, 5, 64, 64, steps=1, seed=1, fps=24, guidance=0.5)


def test_wan_runs_with_first_block_cache(tiny_weights, placement):
    cached = replace(placement, speed=Speed(cache="first-block", cache_threshold=0.5))
    runtime = ImageToVideoRuntime(tiny_weights / "i2v-wan", cached)
    frames = runtime.animate(Image.new("RGB", (64, 64)), 5, 64, 64, steps=3, seed=0, fps=24, guidance=1.0)
    assert len(frames) == 5
    assert runtime.pipe.transformer.is_cache_enabled


@pytest.mark.parametrize(
    ("folder", "pipeline"), [("t2i-zimage", "ZImagePipeline"), ("t2i-flux2", "Flux2KleinPipeline")]
)
def test_licence_clean_text_to_image_families(tiny_weights, placement, folder, pipeline):
    t2i = TextToImageRuntime(tiny_weights / folder, placement)
    assert t2i.name == pipeline
    steps = []
    images = t2i.generate(["a fox", "a moon"], [1, 2], 64, 64, steps=2, on_step=lambda i, n: steps.append(i))
    assert [image.size for image in images] == [(64, 64)] * 2 and steps == [1, 2]
    # FLUX.2 klein has no negative prompt: asking for CFG must not pass one it cannot take.
    again = t2i.generate(["a fox"], [1], 64, 64, steps=1, guidance=2.0, negative_prompts=["blur"])
    assert again[0].mode == "RGB"
