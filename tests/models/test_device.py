"""The GPU selection logic, tested on CPU with a recording stand-in for a diffusers pipeline."""

import pytest
import torch

from models.device import (
    Placement,
    apply_to_pipeline,
    resolve_attention,
    resolve_device,
    resolve_dtype,
    resolve_offload,
)


def test_device_resolution():
    assert resolve_device("auto", cuda_available=False) == "cpu"
    assert resolve_device("auto", cuda_available=True) == "cuda"
    assert resolve_device("cpu", cuda_available=True) == "cpu"
    with pytest.raises(RuntimeError, match="no CUDA device"):
        resolve_device("cuda", cuda_available=False)


@pytest.mark.parametrize(
    ("setting", "device", "bf16", "expected"),
    [
        ("auto", "cpu", False, torch.float32),
        ("auto", "cuda", True, torch.bfloat16),
        ("auto", "cuda", False, torch.float16),
        ("float16", "cuda", True, torch.float16),
        ("bfloat16", "cpu", False, torch.bfloat16),
    ],
)
def test_dtype_resolution(setting, device, bf16, expected):
    assert resolve_dtype(setting, device, bf16) == expected


def test_attention_resolution():
    assert resolve_attention("auto", "cuda", xformers_available=True) == "xformers"
    assert resolve_attention("auto", "cuda", xformers_available=False) == "sdpa"
    assert resolve_attention("auto", "cpu", xformers_available=True) == "sdpa"
    assert resolve_attention("eager", "cuda", xformers_available=True) == "eager"
    with pytest.raises(RuntimeError, match="xformers"):
        resolve_attention("xformers", "cuda", xformers_available=False)


def test_offload_only_with_a_gpu():
    assert resolve_offload("model", "cuda") == "model"
    assert resolve_offload("sequential", "cpu") == "none"


class RecordingVae:
    def __init__(self, tiling_supported=True):
        self.calls, self.tiling_supported = [], tiling_supported

    def enable_slicing(self):
        self.calls.append("slicing")

    def enable_tiling(self):
        if not self.tiling_supported:
            raise NotImplementedError
        self.calls.append("tiling")


class RecordingPipeline:
    def __init__(self, vae):
        self.vae, self.calls = vae, []
        self.components = {"vae": vae}

    def to(self, device):
        self.calls.append(("to", device))

    def enable_model_cpu_offload(self, device):
        self.calls.append(("model_offload", device))

    def enable_sequential_cpu_offload(self, device):
        self.calls.append(("sequential_offload", device))

    def enable_xformers_memory_efficient_attention(self):
        self.calls.append(("xformers",))

    def set_progress_bar_config(self, disable):
        self.calls.append(("progress", disable))


def placement(**overrides):
    values = dict(
        device="cuda",
        dtype=torch.float16,
        attention="sdpa",
        vae_slicing=True,
        vae_tiling=True,
        cpu_offload="none",
    )
    return Placement(**{**values, **overrides})


def test_apply_places_and_enables_vae_options():
    pipe = RecordingPipeline(RecordingVae())
    apply_to_pipeline(pipe, placement())
    assert ("to", "cuda") in pipe.calls and ("progress", True) in pipe.calls
    assert pipe.vae.calls == ["slicing", "tiling"]


def test_apply_offload_replaces_to_and_xformers_is_switched_on():
    pipe = RecordingPipeline(RecordingVae())
    apply_to_pipeline(pipe, placement(cpu_offload="model", attention="xformers"))
    assert ("model_offload", "cuda") in pipe.calls and ("xformers",) in pipe.calls
    assert not [c for c in pipe.calls if c[0] == "to"]
    pipe = RecordingPipeline(RecordingVae())
    apply_to_pipeline(pipe, placement(cpu_offload="sequential"))
    assert ("sequential_offload", "cuda") in pipe.calls


def test_apply_skips_vae_options_the_vae_lacks():
    pipe = RecordingPipeline(RecordingVae(tiling_supported=False))
    apply_to_pipeline(pipe, placement())
    assert pipe.vae.calls == ["slicing"]
