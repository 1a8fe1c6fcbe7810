"""bench_gpu's identity-consistency figure, run on the tiny SDXL and its tiny IP-Adapter on CPU."""

import bench_gpu
import pytest
import torch

from models.t2i import TextToImageRuntime


def test_identity_consistency_runs_on_the_tiny_weights(tiny_weights, placement):
    t2i = TextToImageRuntime(tiny_weights / "t2i", placement, tiny_weights / "ip-adapter")
    figures = bench_gpu.identity_consistency(t2i, shots=3, width=64, height=64, steps=1, strength=0.6)
    assert figures["shots"] == 3 and figures["strength"] == 0.6
    for name in ("pairwise_without", "pairwise_with", "to_design_without", "to_design_with"):
        assert -1.0 <= figures[name] <= 1.0
    with pytest.raises(ValueError, match="at least two shots"):
        bench_gpu.identity_consistency(t2i, shots=1, width=64, height=64, steps=1, strength=0.6)


def test_pairwise_similarity_leaves_out_each_shot_with_itself():
    same = torch.nn.functional.normalize(torch.ones(3, 4), dim=-1)
    assert bench_gpu.mean_pairwise_similarity(same) == pytest.approx(1.0)
    opposite = torch.tensor([[1.0, 0.0], [-1.0, 0.0]])
    assert bench_gpu.mean_pairwise_similarity(opposite) == pytest.approx(-1.0)
