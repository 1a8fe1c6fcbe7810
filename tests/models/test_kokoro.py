"""Kokoro-82M, the light licence-clean voice: the tiny random model of the real format, loaded by
kokoro's own KModel, speaking English and Chinese through misaki, in packs and blends."""

import numpy as np
import pytest

from cluster.calls import plain_attributes
from models.contracts import SpeechModel, Voices
from models.errors import ModelError
from models.kokoro import KokoroRuntime, KokoroVoices, cut_phonemes
from models.registry import ModelRegistry
from tests.conftest import tiny_settings


@pytest.fixture(scope="module")
def kokoro(tiny_weights, tmp_path_factory) -> KokoroRuntime:
    settings = tiny_settings(tmp_path_factory.mktemp("data"), tts_backend="kokoro", tts_model="tts-kokoro")
    return ModelRegistry(settings).get("tts")


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


def test_it_keeps_the_speech_contract_and_reads_both_languages(kokoro):
    assert isinstance(kokoro, SpeechModel) and kokoro.parameters > 0
    english = kokoro.synthesize("A fox.", None, "en")
    chinese = kokoro.synthesize("小狐狸。", None, "zh")
    for speech in (english, chinese):
        assert speech.sample_rate == 24000 and speech.samples.dtype == np.float32
        assert 0.1 < speech.seconds < 5
        assert rms(speech.samples) > 0.01 and np.abs(speech.samples).max() <= 1.0  # audible, not clipped


def test_a_take_is_reproducible_and_voices_differ(kokoro):
    first = kokoro.synthesize("Hello there.", "am_ben", "en").samples
    assert np.array_equal(first, kokoro.synthesize("Hello there.", "am_ben", "en").samples)
    other = kokoro.synthesize("Hello there.", "bf_cleo", "en").samples
    blend = kokoro.synthesize("Hello there.", "am_ben+bf_cleo", "en").samples
    assert not np.array_equal(first[: len(other)], other[: len(first)])
    assert not np.array_equal(blend[: len(first)], first[: len(blend)])


def test_voices_for_characters_are_the_languages_packs_then_blends_never_the_narrators(kokoro):
    assert kokoro.narrator("en") == "af_ava" and kokoro.narrator("zh") == "zf_lan"
    english = kokoro.character_voices("en")
    assert english[:3] == ["am_ben", "bf_cleo", "bm_dan"] and "am_ben+bf_cleo" in english
    assert not any("af_ava" in voice for voice in english)
    assert kokoro.character_voices("zh") == ["zf_yu", "zm_ming", "zf_yu+zm_ming"]
    for voice in english:
        kokoro.check_voice(voice)


@pytest.mark.parametrize(
    ("voice", "words"),
    [
        ("nobody", "unknown voice 'nobody'"),
        ("af_ava+am_ben+bf_cleo+bm_dan", "a blend of up to 3"),
        ("/data/uploads/clip.wav", "cannot clone"),
    ],
)
def test_a_voice_it_does_not_have_is_refused(kokoro, voice, words):
    with pytest.raises(ValueError, match=words):
        kokoro.check_voice(voice)
    with pytest.raises(ModelError, match=words):
        kokoro.synthesize("Hello.", voice, "en")


def test_voices_rebuilt_from_a_description_answer_as_the_runtime(kokoro):
    voices = KokoroVoices.described(plain_attributes(kokoro))
    assert isinstance(voices, Voices) and not hasattr(voices, "synthesize")
    assert voices.character_voices("zh") == kokoro.character_voices("zh")


def test_long_phoneme_strings_are_cut_at_spaces_within_the_packs_length():
    words = " ".join(["fɑks"] * 200)
    pieces = cut_phonemes(words, 510)
    assert all(len(piece) <= 510 for piece in pieces) and " ".join(pieces) == words
    assert cut_phonemes("x" * 1200, 510) == ["x" * 510, "x" * 510, "x" * 180]
    assert cut_phonemes("   ") == []
