"""A render under S2V_PROFILE=licence-clean on the tiny weights: every model it loads is cleared for
commercial use, and two speaking characters and the narrator are heard in three voices."""

import numpy as np

from models.cancel import CancelToken
from models.registry import ModelRegistry
from pipelines.artifact_store import ArtifactStore
from pipelines.context import StageContext
from pipelines.render import RenderOptions, VideoOptions, finish, generate
from pipelines.render_options import ImageOptions
from pipelines.specs import Character, Shot
from pipelines.text import speakable
from tests.conftest import loudness_of, tiny_settings

LINES = "The fox said, “Come with me.” The owl said, “Not tonight.”"


def test_a_licence_clean_render_speaks_in_three_audible_voices(tiny_weights, tmp_path):
    settings = tiny_settings(tmp_path / "data", profile="licence-clean")
    registry = ModelRegistry(settings)
    shots = [
        Shot(scene_id="s1", prompt="a fox", narration=LINES, characters=["Fox", "Owl"], speakers=["Fox", "Owl"]),
        Shot(scene_id="s2", prompt="the moon over the hill", narration="The moon rose."),
    ]
    cast = [Character(name="Fox", description="a red fox"), Character(name="Owl", description="a grey owl")]
    options = RenderOptions(
        video=VideoOptions(fps=8, resolution="320x180", motion="kenburns"), image=ImageOptions(resolution="128x96")
    )
    ctx = StageContext(registry, settings, ArtifactStore(tmp_path / "store"), tmp_path / "task", CancelToken())
    result = finish(generate(shots, ctx, options, cast=cast), ctx, options)

    loaded = registry.report()
    assert {m["role"] for m in loaded} >= {"t2i", "tts"} and all(m["commercial"] for m in loaded), loaded
    tts = registry.get("tts")
    assert tts.backend == "kokoro"
    voices = [tts.narrator("en"), *(c.voice for c in result.storyboard.characters)]
    assert len(set(voices)) == 3, voices
    takes = [tts.synthesize(speakable("Come with me.", "en"), voice, "en").samples for voice in voices]
    for i, a in enumerate(takes):
        for b in takes[i + 1 :]:
            assert len(a) != len(b) or not np.allclose(a, b)
    speech_lufs, _ = loudness_of(result.audios[0].audio)
    film_lufs, _ = loudness_of(result.video)
    assert speech_lufs > -45 and film_lufs > -30, (speech_lufs, film_lufs)  # speech, not near silence
