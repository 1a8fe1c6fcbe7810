"""Speech with Kokoro-82M (Apache-2.0): a light voice that runs faster than real time on a CPU.

A folder in the layout of hexgrad/Kokoro-82M: config.json, one checkpoint (*.pth, tensors only, read
with weights_only=True) and voices/*.pt voice packs. A voice is a pack's name (`af_ava`: language
letter a/b English, z Mandarin; gender letter) or a blend of two or three packs joined by "+"
(`af_ava+bf_cleo`), their style vectors averaged: more distinct voices than the packs alone.

Text becomes Kokoro's phonemes with misaki: Mandarin through its pinyin G2P, English through
espeak-ng's phonemes mapped to Kokoro's alphabet (misaki's lexicon G2P needs a spaCy model that is
downloaded at run time, which this project never does).
"""

import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch
from loguru import logger

from models.cancel import CancelToken
from models.device import Placement, parameter_count
from models.errors import ModelError
from models.tts import CANNOT_CLONE, SPEECH_SEED, Speech, checked, is_reference_clip
from models.weights import fail

SAMPLE_RATE = 24000  # Kokoro's vocoder speaks at 24 kHz
LANGUAGE_LETTERS = {"en": "ab", "zh": "z"}  # a pack's first letter names its language
BLEND = "+"
MAX_BLEND = 3
MAX_PHONEMES = 510  # a pack holds one style per phoneme count up to this; longer input is cut at spaces


def import_kokoro():
    """kokoro's package import removes every loguru handler and adds its own; loguru's stock stderr
    handler is put back, so the server's log reads as before."""
    fresh = "kokoro" not in sys.modules
    from kokoro import KModel

    if fresh:
        logger.remove()
        logger.add(sys.stderr)
    return KModel


def check_kokoro(folder: Path) -> None:
    if not folder.is_dir():
        raise fail("tts", folder, "folder not found")
    if not (folder / "config.json").is_file():
        raise fail("tts", folder, "config.json is missing")
    if len(list(folder.glob("*.pth"))) != 1:
        raise fail("tts", folder, "needs exactly one Kokoro checkpoint (*.pth)")
    if not any((folder / "voices").glob("*.pt")):
        raise fail("tts", folder, "voices/ holds no voice pack (*.pt)")


def cut_phonemes(phonemes: str, limit: int = MAX_PHONEMES) -> list[str]:
    """Phonemes in pieces of at most `limit`, cut at the last space before it where there is one."""
    pieces, rest = [], phonemes.strip()
    while len(rest) > limit:
        at = rest.rfind(" ", 0, limit + 1)
        at = at if at > 0 else limit
        pieces.append(rest[:at].strip())
        rest = rest[at:].strip()
    return [piece for piece in [*pieces, rest] if piece]


class KokoroVoices:
    """Kokoro's voice packs: plain data, so a Ray slot's description rebuilds them (`described`)."""

    clones_voices = False
    designs_voices = False
    takes_styles = False  # a voice pack sets the manner; Kokoro reads no instruction

    def __init__(self, voices: list[str]):
        self.voices = voices

    @staticmethod
    def described(attributes: dict) -> "KokoroVoices":
        return KokoroVoices(list(attributes["voices"]))

    def _packs_for(self, language: str) -> list[str]:
        letters = LANGUAGE_LETTERS.get(language, LANGUAGE_LETTERS["en"])
        return [v for v in self.voices if v[0] in letters] or list(self.voices)

    def narrator(self, language: str) -> str:
        """The line's voice when none is named: the language's first pack."""
        return self._packs_for(language)[0]

    def character_voices(self, language: str) -> list[str]:
        """The language's packs but the narrator's, then blends of two of them (none with the narrator)."""
        own = [v for v in self._packs_for(language) if v != self.narrator(language)]
        return own + [f"{a}{BLEND}{b}" for i, a in enumerate(own) for b in own[i + 1 :]]

    def check_voice(self, voice: str) -> None:
        """ValueError unless `voice` is a pack or a blend of two or three packs."""
        if is_reference_clip(voice):
            raise ValueError(f"{CANNOT_CLONE}; use one of its voice packs, e.g. {self.voices[0]}")
        packs = voice.split(BLEND)
        if not 1 <= len(packs) <= MAX_BLEND or any(p not in self.voices for p in packs):
            shown = ", ".join(self.voices[:12]) + (" …" if len(self.voices) > 12 else "")
            raise ValueError(
                f"unknown voice {voice!r}; Kokoro's voices are its packs ({shown}) or a blend of up to "
                f"{MAX_BLEND} joined by '{BLEND}'"
            )


class KokoroRuntime(KokoroVoices):
    role = "tts"
    backend = "kokoro"
    name = "kokoro"
    sample_rate = SAMPLE_RATE

    def __init__(self, folder: Path, placement: Placement):
        check_kokoro(folder)
        started = time.perf_counter()
        model_class = import_kokoro()
        self.folder = folder
        self.device = placement.device
        checkpoint = next(folder.glob("*.pth"))
        self.model = model_class(
            repo_id="hexgrad/Kokoro-82M", config=str(folder / "config.json"), model=str(checkpoint)
        )
        self.model.to(self.device).eval()
        self._pack_files = {pack.stem: pack for pack in sorted((folder / "voices").glob("*.pt"))}
        super().__init__(list(self._pack_files))
        self._styles: dict[str, torch.Tensor] = {}
        self._g2p: dict[str, object] = {}
        self.parameters = parameter_count(self.model)
        self.load_seconds = time.perf_counter() - started

    def _style(self, voice: str) -> torch.Tensor:
        """A voice's style table [510, 1, 256]: a pack's, or the mean of a blend's packs."""
        if voice not in self._styles:
            packs = [torch.load(self._pack_files[p], map_location="cpu", weights_only=True) for p in voice.split(BLEND)]
            self._styles[voice] = torch.stack(packs).mean(0).float().to(self.device)
        return self._styles[voice]

    def _phonemes(self, text: str, language: str) -> str:
        if language == "zh":
            if "zh" not in self._g2p:
                from misaki.zh import ZHG2P

                self._g2p["zh"] = ZHG2P()
            return self._g2p["zh"](text)[0]
        if "en" not in self._g2p:
            from misaki.espeak import EspeakFallback

            self._g2p["en"] = EspeakFallback(british=False)
        phonemes, _ = self._g2p["en"](SimpleNamespace(text=text))
        return phonemes or ""

    def synthesize(
        self,
        text: str,
        voice: str | None,
        language: str,
        speed: float = 1.0,
        cancel: CancelToken | None = None,
        style: str | None = None,
    ) -> Speech:
        voice = voice or self.narrator(language)
        checked(self, voice)
        pack = self._style(voice)
        pieces = cut_phonemes(self._phonemes(text, language))
        chunks = []
        # The vocoder's harmonic source draws noise from torch's global generator: one seed a call
        # makes a text and voice the same take every time; the caller's generator is restored.
        with torch.random.fork_rng(devices=range(torch.cuda.device_count())), torch.inference_mode():
            torch.manual_seed(SPEECH_SEED)
            for piece in pieces:
                if cancel:
                    cancel.raise_if_cancelled()
                audio = self.model(piece, pack[len(piece) - 1], speed)
                chunks.append(audio.float().numpy().reshape(-1))
        samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
        if samples.size == 0:
            raise ModelError("the speech model returned no audio (nothing in the text it can pronounce)")
        return Speech(samples, SAMPLE_RATE)

    def unload(self) -> None:
        del self.model
        self._styles.clear()
