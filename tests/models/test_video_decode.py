"""The video VAE's decode setting: whole or in tiles, applied at load, within a stated tolerance."""

import pytest
import torch
from PIL import Image
from pydantic import ValidationError

from models.i2v import ImageToVideoRuntime
from models.video_decode import compare_decodes, decode_tile, latents_decoded_by
from settings import Settings

# Mean |tiled - whole| in 8-bit levels on the tiny random VAEs (384x384, 2 latent frames, tiles of
# 256 px): measured 3.2-3.6 (Wan) and 13.5-13.8 (LTX) over two latent seeds, against 34 and 42
# between the decodes of two unrelated latents. The tolerances are those plus a margin; the real
# VAEs' figure is what scripts/bench_gpu.py reports (docs/gpu-plan.md).
TOLERANCE = {"i2v-wan": 4.5, "i2v": 16.0}


@pytest.mark.parametrize(
    ("mode", "tiling", "tile", "expected"),
    [
        ("auto", False, 256, None),
        ("auto", True, 0, 0),
        ("full", True, 256, None),
        ("tiled", False, 256, 256),
    ],
)
def test_the_setting_resolves_to_a_tile(tmp_path, mode, tiling, tile, expected):
    settings = Settings(data_dir=tmp_path, i2v_decode=mode, vae_tiling=tiling, i2v_decode_tile=tile)
    assert decode_tile(settings) == expected


def test_a_tile_off_the_latent_grid_is_refused(tmp_path):
    with pytest.raises(ValidationError, match="i2v_decode_tile"):
        Settings(data_dir=tmp_path, i2v_decode_tile=200)


def latents(runtime, size: int, frames: int) -> torch.Tensor:
    vae = runtime.pipe.vae
    channels = getattr(vae.config, "z_dim", None) or vae.config.latent_channels
    side = size // vae.spatial_compression_ratio
    return torch.randn(1, channels, frames, side, side, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("folder", ["i2v-wan", "i2v"])
def test_tiled_decode_tiles_and_stays_near_the_whole_one(tiny_weights, placement, folder):
    runtime = ImageToVideoRuntime(tiny_weights / folder, placement, decode_tile=256)
    vae = runtime.pipe.vae
    assert vae.use_tiling and (vae.tile_sample_min_width, vae.tile_sample_stride_width) == (256, 192)
    calls = []
    vae.decoder.register_forward_pre_hook(lambda module, arguments: calls.append(1))
    z = latents(runtime, 384, 2)
    with torch.inference_mode():
        frames = vae.decode(z, return_dict=False)[0]
    assert frames.shape[-2:] == (384, 384)
    # 2x2 tiles: Wan decodes each tile frame by frame (causally), LTX each tile at once.
    assert len(calls) == (4 * 2 if folder == "i2v-wan" else 4)
    figures = compare_decodes(vae, z, 256)
    assert 0 < figures["mean_abs_levels"] <= TOLERANCE[folder]
    assert vae.use_tiling  # the comparison left the runtime's setting in place


def test_whole_decode_is_the_default(tiny_weights, placement):
    vae = ImageToVideoRuntime(tiny_weights / "i2v", placement).pipe.vae
    assert not vae.use_tiling


def test_a_clips_latents_are_caught_on_their_way_to_the_vae(tiny_weights, placement):
    runtime = ImageToVideoRuntime(tiny_weights / "i2v", placement)
    vae = runtime.pipe.vae
    image = Image.new("RGB", (64, 64), "teal")
    latents, extra = latents_decoded_by(vae, lambda: runtime.animate(image, 9, 64, 64, steps=1, seed=0, fps=8))
    assert latents.shape == (1, vae.config.latent_channels, 2, 2, 2) and extra == (None,)
    assert "decode" not in vars(vae)  # the VAE decodes as before
    figures = compare_decodes(vae, latents, 128, extra)
    assert figures["mean_abs_levels"] == 0  # a 64-px clip is smaller than one tile: nothing to blend
