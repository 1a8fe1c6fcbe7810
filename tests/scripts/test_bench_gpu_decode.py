"""bench_gpu's clip decode comparison, run on the tiny LTX-Video on CPU."""

import bench_gpu
from PIL import Image


def test_clip_decodes_compares_whole_and_tiled_per_tile_size(registry, settings):
    keyframe = Image.new("RGB", (256, 128), (90, 120, 160))
    rows = bench_gpu.clip_decodes(registry, settings, keyframe, [128, 256])
    assert [row["tile"] for row in rows] == [128, 256]
    assert rows[0]["mean_abs_levels"] > 0  # 128-px tiles split a 256-px clip
    assert rows[1]["mean_abs_levels"] == 0  # one 256-px tile covers it: the whole decode
    assert all(row["full_s"] > 0 and row["tiled_s"] > 0 for row in rows)
    assert not registry.get("i2v").pipe.vae.use_tiling  # the setting the runtime loaded with is kept
