"""Voices: the tiny VITS's speakers sound apart and repeat exactly; a reference clip clones only on XTTS."""

import numpy as np
import pytest
import soundfile
import torch
from make_tiny_weights import TINY_SPEAKERS

from models.errors import ModelError
from models.tts import CANNOT_CLONE, CoquiTTSRuntime, EspeakRuntime
from pipelines.artifact_store import ArtifactStore
from pipelines.dialogue import cast_voices, parts_of
from pipelines.narration import make_narration
from pipelines.specs import Character, Line
from pipelines.text import speakable

QUOTE = "“Come with me.”"
SAID = f"The fox said, {QUOTE} The owl said, {QUOTE}"
QUANTUM = 1 / 32768  # one step of 16-bit PCM: what a WAV file may change in a sample


def all_differ(*takes: np.ndarray) -> bool:
    """Every two takes differ by more than a WAV file's rounding, in length or in some sample."""
    pairs = [(a, b) for i, a in enumerate(takes) for b in takes[i + 1 :]]
    return all(len(a) != len(b) or np.abs(a - b).max() > 4 * QUANTUM for a, b in pairs)


@pytest.fixture(scope="module")
def vits(registry):
    return registry.get("tts")


@pytest.fixture
def clip(tmp_path):
    path = tmp_path / "my voice.wav"
    soundfile.write(path, np.sin(np.arange(22050) / 8).astype(np.float32) * 0.3, 22050)
    return str(path)


def test_the_tiny_vits_has_speakers_and_characters_get_all_but_the_narrators(vits):
    assert vits.voices == TINY_SPEAKERS and len(vits.voices) >= 4
    assert vits.character_voices("en") == vits.voices[1:]  # the first is the narrator's default
    assert not vits.clones_voices


def test_speakers_sound_different_and_each_repeats_exactly(vits):
    def said(voice):
        return vits.synthesize("Come with me.", voice, "en").samples

    ava, ben, narrator = said("ava"), said("ben"), said(None)
    assert all_differ(ava, ben, narrator)
    assert np.array_equal(said("ava"), ava) and np.array_equal(said(TINY_SPEAKERS[0]), narrator)


def test_synthesis_leaves_the_callers_random_stream_alone(vits):
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    vits.synthesize("Hi.", "cleo", "en")
    assert torch.equal(torch.rand(3), expected)


def test_unknown_voices_and_clips_are_refused_by_vits_and_espeak(vits, clip):
    espeak = EspeakRuntime()
    assert not espeak.clones_voices
    espeak.check_voice("en-us+f2")
    vits.check_voice("ben")
    for runtime, unknown in ((vits, "zoe"), (espeak, "en-us+nope")):
        with pytest.raises(ValueError, match="unknown"):
            runtime.check_voice(unknown)
        with pytest.raises(ValueError, match=CANNOT_CLONE):
            runtime.check_voice(clip)
        with pytest.raises(ModelError, match=CANNOT_CLONE):  # the same check, before any model runs
            runtime.synthesize("Hello.", clip, "en")
    with pytest.raises(ValueError, match="ava, ben"):
        vits.check_voice(clip)  # the refusal names the speakers to use instead


class Recorder:
    """Stands in for coqui's TTS object (a tiny XTTS cannot be built): records what it is asked."""

    def __init__(self):
        self.calls = []

    def tts(self, text, **kwargs):
        self.calls.append(kwargs)
        return [0.1] * 100


def test_xtts_clones_from_the_clip_and_speaks_its_own_speakers_by_name(tiny_weights, placement, clip):
    xtts = CoquiTTSRuntime(tiny_weights / "tts", placement)
    xtts.name, xtts.clones_voices, xtts.languages, xtts.tts = "xtts", True, ["en", "zh-cn"], Recorder()
    xtts.check_voice(clip)
    xtts.synthesize("Hello.", clip, "zh", speed=1.2)
    xtts.synthesize("Hello.", "ava", "en")
    assert xtts.tts.calls == [
        {"split_sentences": False, "speaker_wav": [clip], "language": "zh-cn", "speed": 1.2},
        {"split_sentences": False, "speaker": "ava", "language": "en", "speed": 1.0},
    ]
    with pytest.raises(ValueError, match="not a file"):
        xtts.check_voice(clip + ".missing")


def test_espeak_character_variants_are_listed_and_sound_different():
    espeak = EspeakRuntime()
    voices = espeak.character_voices("en")
    assert voices[:2] == ["en-us+m3", "en-us+f2"] and {"m3", "f2", "f4"} <= set(espeak.variants)
    takes = [espeak.synthesize("Come with me.", voice, "en").samples for voice in (*voices[:2], None)]
    assert all_differ(*takes)


def test_two_characters_and_the_narrator_speak_in_three_coqui_voices(vits, tmp_path):
    cast = [Character(name="Fox", description=""), Character(name="Owl", description="")]
    cast = cast_voices(cast, vits.character_voices("en"), narrator=None)
    assert [c.voice for c in cast] == ["ava", "ben"]
    parts = parts_of(SAID, ["Fox", "Owl"], cast)
    assert "".join(p.text for p in parts) == SAID and [p.voice for p in parts] == [None, "ava", None, "ben"]
    store = ArtifactStore(tmp_path / "store")
    (line,) = make_narration([Line(scene_id="s1", text=SAID, parts=parts)], tmp_path, vits, store, language="en")
    samples, rate = soundfile.read(line.audio, dtype="float32")
    samples = np.concatenate([samples, np.zeros(64, np.float32)])  # room to look past the last sample
    takes = {voice: vits.synthesize(speakable(QUOTE, "en"), voice, "en").samples for voice in ("ava", "ben", None)}
    assert all_differ(*takes.values())

    def found_at(start: float, take: np.ndarray) -> bool:
        at = round(start * rate)  # cue times are in ms: look a few samples either side
        return min(np.abs(samples[at + d : at + d + len(take)] - take).max() for d in range(-30, 31)) <= QUANTUM

    quotes = line.cues[1::2]
    assert [text for _, _, text in quotes] == [QUOTE, QUOTE]
    assert found_at(quotes[0][0], takes["ava"]) and found_at(quotes[1][0], takes["ben"])
    assert not found_at(quotes[0][0], takes["ben"])  # the fox's quote is not in the owl's voice
