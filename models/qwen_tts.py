"""Speech with Qwen3-TTS (Apache-2.0; 12 Hz, 0.6B/1.7B; Chinese and English), run by a supervised
worker process of its own: qwen_tts pins transformers 4.57 and this process runs transformers 5, so
the model lives in .venv-qwen-tts (scripts/setup.sh) and is spoken to over pipes
(models/qwen_tts_worker.py says the protocol).

A folder holds up to three models, each in the layout of its Hub repository: custom-voice/ (named
built-in speakers: the narrator's and characters' voices), voice-design/ (a voice made from a
description: `design_voice`) and base/ (a voice cloned from a reference clip: a voice given as a
clip's absolute path). A clip with its transcript beside it (`clip.txt` for `clip.wav`) is cloned in
context (the model continues the clip's own speech: the closest voice); without one, from the clip's
speaker embedding alone.

The worker is started at load and answers a ping before the runtime is ready. A worker that dies
mid-request is started again and the request tried once more; a cancelled request kills the worker
(it is started again at the next request) rather than waiting for its take.
"""

import json
import queue
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import librosa
import numpy as np
from loguru import logger

from models.cancel import CancelToken
from models.device import Placement
from models.errors import Cancelled, ModelError
from models.tts import CANNOT_CLONE, CoquiVoices, Speech, checked, is_reference_clip
from models.weights import fail

ROOT = Path(__file__).resolve().parents[1]
WORKER_PYTHON = ROOT / ".venv-qwen-tts" / "bin" / "python"
WORKER = Path(__file__).resolve().with_name("qwen_tts_worker.py")
SAMPLE_RATE = 24000  # the 12 Hz codec decodes at 24 kHz
SPEECH_SEED = 0  # one seed a call: a text and voice are the same take every time
LOAD_TIMEOUT = 900.0  # seconds for the worker to import qwen_tts and load its models
PING_TIMEOUT = 30.0
POLL_SECONDS = 0.1  # how often a waiting request looks at its cancel token
TRANSCRIPT = ".txt"  # a clip's transcript, beside it under its name: the clip is then cloned in context


class QwenVoices(CoquiVoices):
    """Qwen3-TTS's voices: its built-in speakers (the first the narrator's), a clip to clone with its
    base model, a description to design from with its voice-design model. Plain data, so a Ray
    slot's description rebuilds them (`described`)."""

    cannot_clone = f"{CANNOT_CLONE} (its base model is not in the folder)"

    def __init__(self, voices: list[str], clones_voices: bool, designs_voices: bool, takes_styles: bool):
        super().__init__(voices, clones_voices)
        self.designs_voices = designs_voices
        self.takes_styles = takes_styles  # the 1.7B custom-voice model reads one; the 0.6B drops it

    @staticmethod
    def described(attributes: dict) -> "QwenVoices":
        kinds = (attributes["clones_voices"], attributes["designs_voices"], attributes["takes_styles"])
        return QwenVoices(list(attributes["voices"]), *kinds)


def check_qwen_tts(folder: Path) -> None:
    if not (folder / "custom-voice" / "config.json").is_file():
        raise fail("tts", folder, "custom-voice/config.json is missing (Qwen3-TTS's CustomVoice model)")
    if not WORKER_PYTHON.is_file():
        made_by = "scripts/setup.sh makes it"
        raise fail("tts", folder, f"the worker's environment {WORKER_PYTHON.parent.parent} is missing ({made_by})")


class Worker:
    """The worker process and the lines it writes, read by a thread so a wait can time out or be cancelled."""

    def __init__(self, folder: Path, device: str, dtype: str):
        # -P: the script's folder (models/) stays off sys.path, where this module would hide the qwen_tts package.
        command = [str(WORKER_PYTHON), "-P", str(WORKER), str(folder), device, dtype]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for line in self.process.stdout:
                self.lines.put(json.loads(line))
        finally:
            self.lines.put(None)  # end of output (the process is gone) or a line that is not the protocol

    def send(self, request: dict) -> None:
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            pass  # the worker is gone: the reply that never comes (None) says so

    def receive(self, timeout: float, cancel: CancelToken | None = None) -> dict | None:
        """The next line; None when the worker died. A cancel or the timeout kills it."""
        deadline = time.monotonic() + timeout
        while True:
            if cancel is not None and cancel.cancelled:
                self.stop()
                raise Cancelled("cancelled")
            try:
                return self.lines.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if time.monotonic() > deadline:
                    self.stop()
                    raise ModelError(f"the Qwen3-TTS worker did not answer in {timeout:.0f} s") from None

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


class QwenTTSRuntime(QwenVoices):
    role = "tts"
    backend = "qwen-tts"
    name = "qwen3-tts"
    sample_rate = SAMPLE_RATE

    def __init__(self, folder: Path, placement: Placement):
        check_qwen_tts(folder)
        started = time.perf_counter()
        self.folder = folder
        self._device, self._dtype = placement.device, placement.dtype_name
        self._lock = threading.Lock()
        self._worker: Worker | None = None
        about = self._start()
        kinds = about["kinds"]
        super().__init__(about["speakers"], "base" in kinds, "voice-design" in kinds, about["takes_styles"])
        self.parameters = about["parameters"]
        self.load_seconds = time.perf_counter() - started

    def _start(self, cancel: CancelToken | None = None) -> dict:
        """Start the worker, wait until its models are loaded, and ping it."""
        self._worker = Worker(self.folder, self._device, self._dtype)
        ready = self._worker.receive(LOAD_TIMEOUT, cancel)
        if ready is None:
            raise ModelError(f"the Qwen3-TTS worker exited while loading (exit code {self._worker.process.wait()})")
        self._worker.send({"op": "ping"})
        if self._worker.receive(PING_TIMEOUT) is None:
            raise ModelError("the Qwen3-TTS worker exited instead of answering a ping")
        return ready

    def _ask(self, request: dict, cancel: CancelToken | None) -> dict:
        """One request, answered; a worker that died is started again and asked once more."""
        with self._lock:
            for attempt in (1, 2):
                if self._worker is None or self._worker.process.poll() is not None:
                    self._start(cancel)
                self._worker.send(request)
                reply = self._worker.receive(LOAD_TIMEOUT, cancel)
                if reply is not None:
                    break
                code = self._worker.process.wait()
                logger.warning("the Qwen3-TTS worker died mid-request (exit code {}); starting it again", code)
                if attempt == 2:
                    raise ModelError(f"the Qwen3-TTS worker died twice on one request (exit code {code})")
        if not reply["ok"]:
            raise ModelError(reply["error"])
        return reply

    def _speak(self, text: str, language: str, cancel: CancelToken | None, **voice) -> Speech:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "take.npy"
            request = {"op": "speak", "text": text, "language": language, "seed": SPEECH_SEED, "out": str(out)}
            reply = self._ask({**request, **voice}, cancel)
            samples = np.load(out)
        if samples.size == 0:
            raise ModelError("the speech model returned no audio")
        return Speech(samples, reply["sample_rate"])

    def synthesize(
        self,
        text: str,
        voice: str | None,
        language: str,
        speed: float = 1.0,
        cancel: CancelToken | None = None,
        style: str | None = None,
    ) -> Speech:
        voice = voice or self.voices[0]
        checked(self, voice)
        cloned = is_reference_clip(voice)
        named = {"reference": voice} if cloned else {"speaker": voice}
        if style and self.takes_styles and not cloned:
            named["instruct"] = style  # a named speaker's manner; a cloned voice keeps its clip's
        transcript = Path(voice).with_suffix(TRANSCRIPT)
        if cloned and transcript.is_file():
            named["transcript"] = transcript.read_text(encoding="utf-8")
        speech = self._speak(text, language, cancel, **named)
        if speed != 1.0:  # Qwen3-TTS has no pace setting: stretched in time, keeping the pitch
            speech.samples = librosa.effects.time_stretch(speech.samples, rate=speed).astype(np.float32)
        return speech

    def design_voice(self, description: str, text: str, language: str, cancel: CancelToken | None = None) -> Speech:
        """`text` in a voice made from its description (the voice-design model): a reference clip
        that, cloned for every line, makes a character sound the same throughout."""
        if not self.designs_voices:
            raise ModelError("this Qwen3-TTS folder has no voice-design model")
        return self._speak(text, language, cancel, design=description)

    def unload(self) -> None:
        if self._worker is not None:
            self._worker.process.stdin.close()  # the worker's loop ends with its input
            try:
                self._worker.process.wait(timeout=PING_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._worker.stop()
            self._worker = None
