"""Which speed options apply is decided on CPU; `apply_speed` switches them on through the model's own hooks."""

import pytest

from models.speed import Speed, apply_speed, resolve_attention_backend, resolve_compile, resolve_fp8, speed_from
from settings import Settings


def test_fp8_needs_float8_tensor_cores_torchao_and_on_auto_compiled_blocks():
    assert resolve_fp8("auto", "cuda", (9, 0), True, compiled=True)
    assert resolve_fp8("auto", "cuda", (8, 9), True, compiled=True)
    assert not resolve_fp8("auto", "cuda", (9, 0), True, compiled=False)  # eager fp8 measured slower
    assert not resolve_fp8("auto", "cuda", (8, 0), True, compiled=True)  # Ampere: no float8
    assert not resolve_fp8("auto", "cuda", (9, 0), False, compiled=True)
    assert not resolve_fp8("auto", "cpu", None, True, compiled=True)
    assert not resolve_fp8("off", "cuda", (9, 0), True, compiled=True)
    assert resolve_fp8("on", "cuda", (9, 0), True, compiled=False)
    with pytest.raises(RuntimeError, match=r"compute capability 8\.9"):
        resolve_fp8("on", "cuda", (8, 6), True, compiled=True)
    with pytest.raises(RuntimeError, match="needs torchao"):
        resolve_fp8("on", "cuda", (9, 0), False, compiled=True)


def test_compile_and_attention_backend_only_where_they_apply():
    assert resolve_compile(True, "cuda") and not resolve_compile(True, "cpu") and not resolve_compile(False, "cuda")
    assert resolve_attention_backend("auto", "cuda") is None
    assert resolve_attention_backend("_native_cudnn", "cuda") == "_native_cudnn"
    assert resolve_attention_backend("native", "cpu") == "native"
    with pytest.raises(RuntimeError, match="needs a CUDA GPU"):
        resolve_attention_backend("flash", "cpu")


def test_speed_from_settings_on_cpu():
    settings = Settings(denoiser_cache="first-block", denoiser_cache_threshold=0.1, compile_blocks=True, fp8="auto")
    assert speed_from(settings, "cpu", None) == Speed(cache="first-block", cache_threshold=0.1)
    assert speed_from(Settings(), "cpu", None) == Speed()


class RecordingModel:
    _repeated_blocks = ("Block",)

    def __init__(self):
        self.calls = []

    def set_attention_backend(self, name):
        self.calls.append(("attention", name))

    def enable_cache(self, config):
        self.calls.append(("cache", config.threshold))

    def compile_repeated_blocks(self, **kwargs):
        self.calls.append(("compile", kwargs))


class Pipe:
    def __init__(self, **components):
        self.__dict__.update(components)


def test_apply_speed_uses_the_denoisers_hooks():
    model = RecordingModel()
    applied = apply_speed(Pipe(transformer=model), Speed("first-block", 0.2, True, False, "_native_cudnn"))
    assert applied == ["attention:_native_cudnn", "cache:first-block", "compile:repeated-blocks"]
    assert model.calls == [("attention", "_native_cudnn"), ("cache", 0.2), ("compile", {"fullgraph": True})]
    assert apply_speed(Pipe(unet=RecordingModel()), Speed()) == []
    assert apply_speed(Pipe(), Speed(compile=True)) == []  # no denoiser: nothing to do


def test_apply_speed_skips_hooks_a_model_lacks():
    class Plain:
        _repeated_blocks = ()

    assert apply_speed(Pipe(unet=Plain()), Speed(cache="first-block", compile=True)) == []
