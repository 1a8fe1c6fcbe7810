"""Qwen3-TTS through its supervised worker: the tiny random model of the real format (custom-voice,
voice-design and base), loaded by qwen_tts itself in .venv-qwen-tts, spoken to over pipes."""

import json
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile
from loguru import logger

from cluster.calls import plain_attributes
from models.cancel import CancelToken
from models.contracts import SpeechModel, Voices
from models.errors import Cancelled, ModelError
from models.qwen_tts import WORKER_PYTHON, QwenTTSRuntime, QwenVoices
from models.registry import ModelRegistry
from tests.conftest import tiny_settings

pytestmark = pytest.mark.skipif(not WORKER_PYTHON.is_file(), reason="no .venv-qwen-tts: run scripts/setup.sh")
LINE = "Once upon a time a fox looked at the moon."


@pytest.fixture(scope="module")
def qwen(tiny_weights, tmp_path_factory) -> QwenTTSRuntime:
    settings = tiny_settings(tmp_path_factory.mktemp("data"), tts_backend="qwen-tts", tts_model="tts-qwen")
    runtime = ModelRegistry(settings).get("tts")
    yield runtime
    runtime.unload()


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


def test_a_named_speaker_speaks_audibly_and_the_same_take_every_time(qwen):
    assert isinstance(qwen, SpeechModel) and qwen.parameters > 0
    assert qwen.voices == ["aiden", "ryan", "serena", "vivian"] and qwen.clones_voices and qwen.designs_voices
    first = qwen.synthesize(LINE, "ryan", "en")
    assert first.sample_rate == 24000 and first.samples.dtype == np.float32
    assert first.seconds > 0.5 and rms(first.samples) > 0.01
    assert np.array_equal(first.samples, qwen.synthesize(LINE, "ryan", "en").samples)
    assert not np.array_equal(first.samples, qwen.synthesize(LINE, "serena", "en").samples)
    assert rms(qwen.synthesize("小狐狸看着月亮。", None, "zh").samples) > 0.01


def test_a_style_changes_a_named_speakers_take_the_same_way_every_time(qwen):
    assert qwen.takes_styles and plain_attributes(qwen)["takes_styles"]  # a Ray slot's proxy reads it too
    plain = qwen.synthesize(LINE, "ryan", "en").samples
    afraid = qwen.synthesize(LINE, "ryan", "en", style="whispering, afraid").samples
    assert rms(afraid) > 0.01 and not np.array_equal(afraid, plain)
    assert np.array_equal(afraid, qwen.synthesize(LINE, "ryan", "en", style="whispering, afraid").samples)
    assert not np.array_equal(afraid, qwen.synthesize(LINE, "ryan", "en", style="joyful, shouting").samples)


def test_a_cloned_voice_keeps_its_clips_manner_whatever_the_style(qwen, tmp_path):
    designed = qwen.design_voice("an old man with a deep voice", LINE, "en")
    clip = tmp_path / "old.wav"
    soundfile.write(clip, designed.samples, designed.sample_rate)
    plain = qwen.synthesize("Hello.", str(clip), "en").samples
    assert np.array_equal(plain, qwen.synthesize("Hello.", str(clip), "en", style="whispering, afraid").samples)


def test_a_0_6b_custom_voice_model_declares_it_reads_no_style(tiny_weights, tmp_path):
    folder = tmp_path / "tts-qwen"
    (folder / "custom-voice").mkdir(parents=True)
    for item in (tiny_weights / "tts-qwen" / "custom-voice").iterdir():  # the custom-voice model alone, linked
        (folder / "custom-voice" / item.name).symlink_to(item)
    config = json.loads((tiny_weights / "tts-qwen" / "custom-voice" / "config.json").read_text())
    (folder / "custom-voice" / "config.json").unlink()
    (folder / "custom-voice" / "config.json").write_text(json.dumps({**config, "tts_model_size": "0b6"}))
    small = QwenTTSRuntime(folder, SimpleNamespace(device="cpu", dtype_name="float32"))  # what it reads of one
    try:
        assert not small.takes_styles
        plain = small.synthesize("Hello.", "ryan", "en").samples
        assert np.array_equal(plain, small.synthesize("Hello.", "ryan", "en", style="whispering, afraid").samples)
    finally:
        small.unload()


def test_a_bad_voice_is_a_clear_error_naming_the_speakers(qwen, tmp_path):
    with pytest.raises(ModelError, match=r"unknown voice 'bob'.*aiden"):
        qwen.synthesize("Hello.", "bob", "en")
    with pytest.raises(ValueError, match="reference clip is not a file"):
        qwen.check_voice(str(tmp_path / "missing.wav"))
    assert qwen.character_voices("en") == ["ryan", "serena", "vivian"]


def test_a_designed_voice_is_the_same_for_one_description_and_differs_for_another(qwen):
    old = qwen.design_voice("an old man with a deep, slow voice", LINE, "en")
    assert rms(old.samples) > 0.01
    assert np.array_equal(old.samples, qwen.design_voice("an old man with a deep, slow voice", LINE, "en").samples)
    assert not np.array_equal(old.samples, qwen.design_voice("a bright young girl, quick", LINE, "en").samples)


def test_a_reference_clip_is_cloned(qwen, tmp_path):
    clips = []
    for name, description in (("old", "an old man with a deep voice"), ("girl", "a bright young girl")):
        designed = qwen.design_voice(description, LINE, "en")
        clips.append(tmp_path / f"{name}.wav")
        soundfile.write(clips[-1], designed.samples, designed.sample_rate)
    old, girl = (qwen.synthesize(LINE, str(clip), "en").samples for clip in clips)
    assert rms(old) > 0.01
    assert np.array_equal(old, qwen.synthesize(LINE, str(clips[0]), "en").samples)
    assert not np.array_equal(old, girl)  # another clip, another voice
    assert not np.array_equal(old, qwen.synthesize(LINE, None, "en").samples)
    clips[0].with_suffix(".txt").write_text(LINE)  # what the clip says: it is cloned in context
    in_context = qwen.synthesize("Hello.", str(clips[0]), "en").samples
    assert rms(in_context) > 0.01 and np.array_equal(in_context, qwen.synthesize("Hello.", str(clips[0]), "en").samples)
    clips[0].with_suffix(".txt").unlink()
    assert not np.array_equal(in_context, qwen.synthesize("Hello.", str(clips[0]), "en").samples)


def test_a_worker_killed_mid_request_is_started_again_and_says_so(qwen):
    expected = qwen.synthesize("Hello.", "aiden", "en").samples
    worker = qwen._worker
    send = worker.send

    def send_then_die(request):
        send(request)
        worker.process.kill()

    worker.send = send_then_die
    said = []
    sink = logger.add(lambda message: said.append(str(message)), level="WARNING")
    try:
        again = qwen.synthesize("Hello.", "aiden", "en").samples
    finally:
        logger.remove(sink)
    assert qwen._worker is not worker and worker.process.poll() is not None
    assert np.array_equal(again, expected)
    assert any("died mid-request" in line for line in said)


def test_a_cancelled_request_stops_the_worker_at_once_and_the_next_starts_it(qwen):
    qwen.synthesize("Hello.", "aiden", "en")  # a worker at work
    worker = qwen._worker
    cancel = CancelToken()
    cancel.cancel()  # the task is cancelled as the request goes out: its take is never waited for
    with pytest.raises(Cancelled):
        qwen.synthesize(LINE, "aiden", "en", cancel=cancel)
    assert worker.process.poll() is not None  # killed
    assert rms(qwen.synthesize("Hello.", "aiden", "en").samples) > 0.01


def test_its_voices_travel_as_plain_data_and_the_licence_clean_profile_takes_it(qwen, tmp_path):
    voices = QwenVoices.described(plain_attributes(qwen))
    assert isinstance(voices, Voices) and voices.voices == qwen.voices and voices.designs_voices
    clean = tiny_settings(tmp_path, profile="licence-clean", tts_backend="qwen-tts")
    assert clean.tts_model == "tts-qwen"
