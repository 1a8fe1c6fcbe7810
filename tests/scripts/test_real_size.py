"""The real-size builder and bench, at tiny scale on CPU: the same code the GPU run uses."""

import json

import bench_real_size
import make_real_size_weights as real
import pytest


def test_every_role_has_a_real_and_a_tiny_configuration():
    assert set(real.CONFIGS["real"]) == set(real.CONFIGS["tiny"])
    # Published sizes: Wan 2.2 TI2V-5B is 24 heads x 128 over 30 layers; Qwen3-4B has 36 layers.
    assert (
        real.CONFIGS["real"]["wan"]["num_attention_heads"] * real.CONFIGS["real"]["wan"]["attention_head_dim"] == 3072
    )
    assert real.CONFIGS["real"]["qwen3"]["num_hidden_layers"] == 36


def test_bench_times_each_role_through_our_runtimes(tmp_path):
    out = tmp_path / "real.json"
    roles = ["t2i", "llm", "i2v"]
    argv = ["--weights", str(tmp_path / "w"), "--out", str(out), "--scale", "tiny", "--small"]
    assert bench_real_size.main(argv + [arg for role in roles for arg in ("--role", role)]) == 0
    report = json.loads(out.read_text())
    rows = report["rows"]
    assert report["scale"] == "tiny" and not [row for row in rows if "error" in row]
    assert {row["role"] for row in rows} == set(roles)
    loads = {row["role"]: row["model"] for row in rows if row["what"] == "load"}
    assert loads == {"t2i": "StableDiffusionXLPipeline", "llm": "qwen3", "i2v": "LTXImageToVideoPipeline"}
    keyframes = [row for row in rows if row["role"] == "t2i" and "keyframe" in row["what"]]
    assert [row["steps"] for row in keyframes] == [4, 4] and all(row["step_s"] > 0 for row in keyframes)
    decodes = [row for row in rows if "VAE decode" in row["what"]]
    assert [(row["role"], row["tile"]) for row in decodes] == [("i2v", 128)]
    assert decodes[0]["full_s"] > 0 and decodes[0]["tiled_s"] > 0 and decodes[0]["mean_abs_levels"] > 0
    rates = [row["tokens_per_s"] for row in rows if "tokens_per_s" in row]
    assert len(rates) == 2 and min(rates) > 0  # plain and grammar-constrained decoding
    assert not (tmp_path / "w" / "t2i").exists()  # built folders are removed after their role


def test_the_film_bench_renders_a_film_through_the_server(tmp_path):
    out = tmp_path / "film.json"
    argv = ["--film", "--weights", str(tmp_path / "w"), "--out", str(out), "--scale", "tiny", "--small"]
    assert bench_real_size.main(argv) == 0
    rows = json.loads(out.read_text())["rows"]
    assert [row["role"] for row in rows if row["what"] == "build"] == ["llm", "i2v-wan", "music", "t2i"]
    film = rows[-1]
    assert film["role"] == "film" and film["status"] == {"storyboard": "done", "render": "done"}, film
    assert (
        film["shots"] == 6
        and film["film_s"] > 10
        # the factor is taken before wall_s and film_s are rounded for the table
        and film["real_time_factor"] == pytest.approx(film["wall_s"] / film["film_s"], abs=2e-3)
    )
    assert 0 < film["first_shot_s"] <= film["storyboard_s"] < film["wall_s"]
    assert {"frames", "narration", "clips", "compose"} <= set(film["stages_s"]["render"])
    assert film["llm_tokens"] > 0 and film["load_and_warm_s"] > 0
    assert not (tmp_path / "w" / "i2v-wan").exists()  # built folders are removed after the film
