import json
import random
import shutil
import struct

import pytest

from models.errors import WeightsError
from models.registry import ModelRegistry
from models.weights import WHOLE, check_folder, fingerprint
from tests.conftest import tiny_settings


def copy_role(tiny_weights, tmp_path, role):
    target = tmp_path / role
    shutil.copytree(tiny_weights / role, target)
    return target


def test_missing_folder_names_folder_and_fix(tmp_path):
    with pytest.raises(WeightsError) as caught:
        check_folder("t2i", tmp_path / "nope", "diffusers")
    message = str(caught.value)
    assert str(tmp_path / "nope") in message
    assert "scripts/make_tiny_weights.py" in message and "scripts/fetch_weights.py --role t2i" in message


def test_truncated_safetensors_is_refused(tiny_weights, tmp_path):
    folder = copy_role(tiny_weights, tmp_path, "t2i")
    weights = folder / "unet" / "diffusion_pytorch_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-100])
    with pytest.raises(WeightsError, match="truncated"):
        check_folder("t2i", folder, "diffusers")


def test_garbage_safetensors_is_refused(tiny_weights, tmp_path):
    folder = copy_role(tiny_weights, tmp_path, "llm")
    (folder / "model.safetensors").write_bytes(struct.pack("<Q", 10**12) + b"{}")
    with pytest.raises(WeightsError, match="not a safetensors file"):
        check_folder("llm", folder, "transformers")


def test_pickle_only_weights_are_refused(tiny_weights, tmp_path):
    folder = copy_role(tiny_weights, tmp_path, "llm")
    (folder / "model.safetensors").rename(folder / "pytorch_model.bin")
    with pytest.raises(WeightsError, match=r"only pickle weights \(pytorch_model.bin\)"):
        check_folder("llm", folder, "transformers")


def test_missing_component_folder_is_refused(tiny_weights, tmp_path):
    folder = copy_role(tiny_weights, tmp_path, "i2v")
    shutil.rmtree(folder / "transformer")
    with pytest.raises(WeightsError, match="transformer/ is missing"):
        check_folder("i2v", folder, "diffusers")


def test_coqui_folder_needs_checkpoint(tiny_weights, tmp_path):
    folder = copy_role(tiny_weights, tmp_path, "tts")
    (folder / "model.pth").unlink()
    with pytest.raises(WeightsError, match=r"no coqui checkpoint"):
        check_folder("tts", folder, "coqui")


def test_registry_surfaces_the_clear_error(tiny_weights, tmp_path):
    registry = ModelRegistry(tiny_settings(tmp_path, weights_dir=tmp_path / "empty"))
    with pytest.raises(WeightsError, match="folder not found"):
        registry.get("t2i")


def test_tiny_weights_are_safetensors_only(tiny_weights):
    for role in ("llm", "t2i", "i2v", "i2v-svd"):
        assert not [p for p in (tiny_weights / role).rglob("*") if p.suffix in (".bin", ".pt", ".ckpt")]
        assert list((tiny_weights / role).rglob("*.safetensors"))
    assert json.loads((tiny_weights / "i2v" / "model_index.json").read_text())["_class_name"] == (
        "LTXImageToVideoPipeline"
    )


@pytest.mark.parametrize("size", [4096, WHOLE + 4096], ids=["hashed whole", "hashed in pieces"])
def test_weights_of_the_same_shapes_have_another_identity(tmp_path, size):
    """A rebuilt or fine-tuned model keeps its configs and file sizes: its outputs must not be taken
    for the old model's from the artifact store."""
    generator = random.Random(0)
    folders = {}
    for name, seed in [("a", 1), ("same", 1), ("other", 2)]:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "config.json").write_text('{"hidden_size": 8}')
        generator.seed(seed)
        (folder / "model.safetensors").write_bytes(generator.randbytes(size))
        folders[name] = fingerprint(folder)
    assert folders["a"] == folders["same"] != folders["other"]
