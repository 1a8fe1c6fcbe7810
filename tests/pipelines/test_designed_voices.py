"""Characters' voices designed from their voice_description by Qwen3-TTS (the tiny model through its
worker): made once, kept in the artifact store, cloned for every line, the same in every render."""

from pathlib import Path

import numpy as np
import pytest
import soundfile

from models.qwen_tts import WORKER_PYTHON
from models.registry import ModelRegistry
from pipelines.artifact_store import ArtifactStore
from pipelines.dialogue import parts_of
from pipelines.narration import design_voices, make_narration
from pipelines.specs import Character, Line
from tests.conftest import tiny_settings

pytestmark = pytest.mark.skipif(not WORKER_PYTHON.is_file(), reason="no .venv-qwen-tts: run scripts/setup.sh")
CAST = [
    Character(name="Fox", description="a red fox", voice_description="a bright young woman, quick and cheerful"),
    Character(name="Owl", description="an owl", voice_description="an old man with a deep, slow voice"),
    Character(name="Badger", description="a badger", voice_description="a gruff voice", voice="ryan"),
    Character(name="Mole", description="a mole"),
]
SAID = "The fox said, “Come with me.” The owl said, “Come with me.”"


@pytest.fixture(scope="module")
def qwen(tiny_weights, tmp_path_factory):
    settings = tiny_settings(tmp_path_factory.mktemp("data"), tts_backend="qwen-tts", tts_model="tts-qwen")
    runtime = ModelRegistry(settings).get("tts")
    yield runtime
    runtime.unload()


def test_a_designed_voice_is_made_once_kept_and_the_same_bytes_in_another_store(qwen, tmp_path, monkeypatch):
    designed = []
    design = qwen.design_voice
    monkeypatch.setattr(qwen, "design_voice", lambda *args: designed.append(args) or design(*args))
    store = ArtifactStore(tmp_path / "a")
    clips = design_voices(CAST, qwen, store, "en")
    assert sorted(clips) == ["Fox", "Owl"]  # a voice of its own and no description: nothing to design
    assert len(designed) == 2
    fox, owl = (soundfile.read(clips[name], dtype="float32")[0] for name in ("Fox", "Owl"))
    assert not np.array_equal(fox, owl)  # two descriptions, two voices
    assert design_voices(CAST, qwen, store, "en") == clips and len(designed) == 2  # kept: not made again
    elsewhere = design_voices(CAST, qwen, ArtifactStore(tmp_path / "b"), "en")  # evicted, or another machine
    assert all(Path(elsewhere[n]).read_bytes() == Path(clips[n]).read_bytes() for n in clips)


def test_every_line_of_a_designed_character_is_spoken_in_its_voice_the_same_in_every_render(qwen, tmp_path):
    takes = []
    for render in ("first", "second"):
        store = ArtifactStore(tmp_path / render)
        clips = design_voices(CAST, qwen, store, "en")
        cast = [c.model_copy(update={"voice": clips.get(c.name, c.voice)}) for c in CAST]
        parts = parts_of(SAID, ["Fox", "Owl"], cast)
        assert [p.voice for p in parts if p.speaker] == [clips["Fox"], clips["Owl"]]
        (audio,) = make_narration([Line(scene_id="s1", text=SAID, parts=parts)], tmp_path / render, qwen, store)
        takes.append(audio.audio.read_bytes())
    assert takes[0] == takes[1]
    fox, owl = (qwen.synthesize("Come with me.", clips[name], "en").samples for name in ("Fox", "Owl"))
    assert not np.array_equal(fox, owl)
