"""Speech: any coqui-tts model folder (XTTS-v2 in a studio, a tiny VITS in tests), or espeak-ng.

Both engines return float32 mono samples and their rate; files and formats are the narration stage's.
Voices: a coqui model's speakers (XTTS also clones one from a reference clip's path), espeak-ng's
voices and their +variants.
"""

import json
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import librosa
import numpy as np
import soundfile
import torch
from pypinyin import Style, pinyin

from models.cancel import CancelToken
from models.device import Placement, parameter_count
from models.errors import ModelError
from models.weights import check_folder

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# coqui's language codes for the two languages we route; XTTS names Chinese "zh-cn".
COQUI_LANGUAGE = {"zh": "zh-cn", "en": "en"}
ESPEAK_VOICE = {"zh": "cmn-latn-pinyin", "en": "en-us"}  # plain "cmn" reads digits in English
# espeak-ng's voice variants for characters, alternating male and female: "en-us+f2" and so on
ESPEAK_VARIANTS = ("m3", "f2", "m7", "f4", "m1", "f1", "m5", "f3")
CANNOT_CLONE = "this voice model cannot clone a voice from audio"
# VITS and XTTS draw noise from torch's global generator: one seed a call gives a text and voice the
# same take every time (cached narration, a character's voice), and the caller's generator is restored.
SPEECH_SEED = 0


@dataclass
class Speech:
    samples: np.ndarray
    sample_rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate


CJK_PUNCTUATION = str.maketrans("，。！？：；、（）“”‘’《》…—", ',.!?:;,()""\'\'"".-')


def is_reference_clip(voice: str | None) -> bool:
    """A voice given as an absolute path is a clip of speech to clone, not a named voice."""
    return bool(voice) and Path(voice).is_absolute()


def checked(runtime, voice: str) -> None:
    """check_voice on the synthesize path: there a bad voice is the model's error, as tasks report it."""
    try:
        runtime.check_voice(voice)
    except ValueError as error:
        raise ModelError(str(error)) from None


def to_pinyin(text: str) -> str:
    """Chinese characters to tone-numbered pinyin, as XTTS's own tokenizer does for zh-cn."""
    syllables = pinyin(text.translate(CJK_PUNCTUATION), style=Style.TONE3, neutral_tone_with_five=True)
    return " ".join(s[0] for s in syllables).replace(" ,", ",").replace(" .", ".").replace(" ?", "?")


class CoquiVoices:
    """A coqui model's speakers, and whether it clones a voice from a clip: plain data, so a Ray
    slot's description of its runtime rebuilds them (`described`) without the model."""

    designs_voices = False
    takes_styles = False  # coqui's models take no instruction of manner
    cannot_clone = CANNOT_CLONE  # what a refused clip is told (a family may say why it cannot)

    def __init__(self, voices: list[str], clones_voices: bool):
        self.voices = voices
        self.clones_voices = clones_voices

    @staticmethod
    def described(attributes: dict) -> "CoquiVoices":
        return CoquiVoices(list(attributes["voices"]), attributes["clones_voices"])

    def character_voices(self, language: str) -> list[str]:
        """Voices to give characters: a multi-speaker model's speakers but the first, the narrator's
        default (none for a single voice), as espeak-ng's characters never get its plain voice."""
        return self.voices[1:]

    def _speaker_names(self) -> str:
        more = " …" if len(self.voices) > 20 else ""
        return ", ".join(self.voices[:20]) + more if self.voices else "it has one voice: leave the voice empty"

    def check_voice(self, voice: str) -> None:
        """ValueError unless `voice` is one of the model's speakers or, when it clones, a clip's file path."""
        if is_reference_clip(voice):
            if not self.clones_voices:
                raise ValueError(f"{self.cannot_clone}; use one of its speakers: {self._speaker_names()}")
            if not Path(voice).is_file():
                raise ValueError("the voice's reference clip is not a file")
        elif voice not in self.voices:
            raise ValueError(f"unknown voice {voice!r}; this model's speakers: {self._speaker_names()}")


class CoquiTTSRuntime(CoquiVoices):
    role = "tts"
    backend = "coqui"

    def __init__(self, folder: Path, placement: Placement):
        from TTS.api import TTS

        check_folder(self.role, folder, "coqui")
        started = time.perf_counter()
        self.folder = folder
        config = json.loads((folder / "config.json").read_text())
        self.name = config.get("model", "coqui")
        # XTTS loads from its folder; single-checkpoint models (VITS, ...) from the .pth file.
        checkpoint = folder if self.name == "xtts" else sorted(folder.glob("*.pth"))[0]
        # coqui reads checkpoints with torch.load(weights_only=True) on torch >= 2.4 (trainer.io).
        self.tts = TTS(model_path=str(checkpoint), config_path=str(folder / "config.json"), progress_bar=False)
        self.tts.to(placement.device)
        self.model = self.tts.synthesizer.tts_model
        self.sample_rate = self.tts.synthesizer.output_sample_rate
        # XTTS conditions on any speaker's clip (speaker_wav)
        super().__init__(list(self.tts.speakers or []), clones_voices=self.name == "xtts")
        self.languages = list(self.tts.languages or [])
        self._reads_cjk = self.name == "xtts" or self._vocabulary_has_cjk()
        self.parameters = parameter_count(self.model)
        self.load_seconds = time.perf_counter() - started

    def _vocabulary_has_cjk(self) -> bool:
        tokenizer = getattr(self.model, "tokenizer", None)
        characters = getattr(getattr(tokenizer, "characters", None), "characters", "") or ""
        return bool(CJK.search(characters))

    def synthesize(
        self,
        text: str,
        voice: str | None,
        language: str,
        speed: float = 1.0,
        cancel: CancelToken | None = None,
        style: str | None = None,
    ) -> Speech:
        if cancel:
            cancel.raise_if_cancelled()
        if voice:
            checked(self, voice)
        if CJK.search(text) and not self._reads_cjk:
            text = to_pinyin(text)
        kwargs: dict = {"split_sentences": False}
        if is_reference_clip(voice):
            kwargs["speaker_wav"] = [voice]
        elif self.voices:
            kwargs["speaker"] = voice or self.voices[0]
        if self.languages:
            kwargs["language"] = COQUI_LANGUAGE.get(language, language)
        if self.name == "xtts":
            kwargs["speed"] = speed  # XTTS paces its own speech
        with torch.random.fork_rng(devices=range(torch.cuda.device_count())):
            torch.manual_seed(SPEECH_SEED)
            samples = np.asarray(self.tts.tts(text, **kwargs), dtype=np.float32)
        if samples.size == 0:
            raise ModelError("the speech model returned no audio")
        if self.name != "xtts" and speed != 1.0:
            # Other coqui models have no reliable pace knob; stretch in time, keeping the pitch.
            samples = librosa.effects.time_stretch(samples, rate=speed).astype(np.float32)
        return Speech(samples, self.sample_rate)

    def unload(self) -> None:
        del self.tts, self.model


class EspeakVoices:
    """espeak-ng's voices and their +variants: plain data, as CoquiVoices."""

    clones_voices = False
    designs_voices = False
    takes_styles = False

    def __init__(self, voices: list[str], variants: tuple[str, ...]):
        self.voices = voices
        # A tuple, not a set: plain data, which a Ray slot's description carries (cluster/calls.py).
        self.variants = variants

    @staticmethod
    def described(attributes: dict) -> "EspeakVoices":
        return EspeakVoices(list(attributes["voices"]), tuple(attributes["variants"]))

    def character_voices(self, language: str) -> list[str]:
        base = ESPEAK_VOICE.get(language, language)
        return [f"{base}+{variant}" for variant in ESPEAK_VARIANTS if variant in self.variants]

    def check_voice(self, voice: str) -> None:
        """ValueError unless `voice` is an installed espeak-ng voice, with or without a +variant."""
        if is_reference_clip(voice):
            raise ValueError(f"{CANNOT_CLONE}; use one of its speakers: an espeak-ng voice such as en-us+f2")
        base, _, variant = voice.partition("+")
        if base not in self.voices or (variant and variant not in self.variants):
            raise ValueError(f"unknown espeak-ng voice {voice!r}; voices look like en-us or en-us+f2")


class EspeakRuntime(EspeakVoices):
    """espeak-ng: no weights, instant, intelligible; a fallback and a fast engine for drafts."""

    role = "tts"
    backend = "espeak"
    name = "espeak-ng"
    parameters = 0
    sample_rate = 22050

    def __init__(self, folder: Path | None = None, placement: Placement | None = None):
        started = time.perf_counter()
        self.binary = shutil.which("espeak-ng")
        if not self.binary:
            raise ModelError("espeak-ng is not installed (apt-get install espeak-ng)")
        self.folder = Path(self.binary)
        voices = subprocess.run([self.binary, "--voices"], capture_output=True, text=True, check=True).stdout
        listed = subprocess.run([self.binary, "--voices=variant"], capture_output=True, text=True, check=True).stdout
        variants = {line.split()[4].removeprefix("!v/") for line in listed.splitlines()[1:] if len(line.split()) > 4}
        super().__init__(
            [line.split()[1] for line in voices.splitlines()[1:] if len(line.split()) > 1], tuple(sorted(variants))
        )
        self.load_seconds = time.perf_counter() - started

    def synthesize(
        self,
        text: str,
        voice: str | None,
        language: str,
        speed: float = 1.0,
        cancel: CancelToken | None = None,
        style: str | None = None,
    ) -> Speech:
        if cancel:
            cancel.raise_if_cancelled()
        voice = voice or ESPEAK_VOICE.get(language, language)
        checked(self, voice)
        with tempfile.TemporaryDirectory() as tmp:
            source, target = Path(tmp) / "text.txt", Path(tmp) / "speech.wav"
            source.write_text(text, encoding="utf-8")  # a file, so text is never parsed as options
            words_per_minute = str(round(160 * speed))
            subprocess.run(
                [self.binary, "-v", voice, "-s", words_per_minute, "-w", str(target), "-f", str(source)],
                check=True,
                capture_output=True,
                timeout=120,
            )
            samples, rate = soundfile.read(target, dtype="float32")
        if samples.size == 0:
            raise ModelError("espeak-ng returned no audio")
        return Speech(samples, rate)

    def unload(self) -> None:
        pass
