"""Characters' voices designed from their voice_description by Qwen3-TTS (the tiny model through its
worker): made once, kept in the artifact store, cloned for every line, the same in every render."""

from pathlib import Path

import numpy as np
import pytest
import soundfile

from models.qwen_tts import WORKER_PYTHON
from models.registry import ModelRegistry
from pipelines.artifact_store import ArtifactStore
from pipelines.context import StageContext
from pipelines.dialogue import parts_of
from pipelines.narration import DESIGN_SENTENCE, design_voices, make_narration
from pipelines.render import ImageOptions, RenderOptions, generate
from pipelines.specs import Character, Line, Shot
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
def registry(tiny_weights, tmp_path_factory):
    settings = tiny_settings(tmp_path_factory.mktemp("data"), tts_backend="qwen-tts", tts_model="tts-qwen")
    registry = ModelRegistry(settings)
    yield registry
    registry.get("tts").unload()


@pytest.fixture(scope="module")
def qwen(registry):
    return registry.get("tts")


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
    assert Path(clips["Fox"]).with_suffix(".txt").read_text() == DESIGN_SENTENCE["en"]  # its transcript beside it
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


def test_a_render_speaks_the_designed_characters_in_their_stored_voices_and_keeps_no_path(registry, qwen, tmp_path):
    shots = [Shot(scene_id="s1", prompt="a fox and an owl", narration=SAID, speakers=["Fox", "Owl"])]
    store = ArtifactStore(tmp_path / "store")
    ctx = StageContext(registry, registry.settings, store, tmp_path / "task")
    options = RenderOptions(image=ImageOptions(resolution="128x96", seed=5), language="en")
    made = generate(shots, ctx, options, cast=CAST[:2], until="narration")
    assert [c.voice for c in made.storyboard.characters] == [None, None]  # remade from the store, never a path
    clips = design_voices(CAST[:2], qwen, store, "en")  # found in the store the render filled
    cast = [c.model_copy(update={"voice": clips[c.name]}) for c in CAST[:2]]
    line = Line(scene_id="s1", text=SAID, parts=parts_of(SAID, ["Fox", "Owl"], cast))
    (audio,) = make_narration([line], tmp_path / "again", qwen, store, language="en")
    assert made.audios[0].audio.read_bytes() == audio.audio.read_bytes()


def test_a_shots_emotion_reaches_every_part_of_its_line_and_is_a_take_of_its_own(registry, qwen, tmp_path, monkeypatch):
    said = "The badger growled, “Come with me.”"
    calls = []
    synthesize = qwen.synthesize
    monkeypatch.setattr(qwen, "synthesize", lambda *a, **k: calls.append((a[1], k["style"])) or synthesize(*a, **k))
    store = ArtifactStore(tmp_path / "store")
    options = RenderOptions(image=ImageOptions(resolution="128x96", seed=5), language="en")
    takes = []
    for render, emotion in enumerate((None, "whispering, afraid", "whispering, afraid")):
        shots = [Shot(scene_id="s1", prompt="a badger", narration=said, speakers=["Badger"], emotion=emotion)]
        ctx = StageContext(registry, registry.settings, store, tmp_path / f"task{render}")
        made = generate(shots, ctx, options, cast=[CAST[2]], until="narration")  # Badger: the named speaker ryan
        takes.append(made.audios[0].audio.read_bytes())
    styled = "whispering, afraid"
    assert calls == [(None, None), ("ryan", None), (None, styled), ("ryan", styled)]  # the narrator's part, the quote
    assert takes[0] != takes[1] == takes[2]  # another manner, another take; the same one found in the store
