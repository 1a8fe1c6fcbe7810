"""Loads each configured role once, places it, and reports what it loaded.

With `S2V_RESIDENCY=stage` only the role in use stays loaded (for 24 GB cards); with `all`
every role stays resident after its first use.
"""

import hashlib
import os
import threading
from dataclasses import asdict, dataclass

import torch
from loguru import logger

from models.contracts import ROLES, TaskThreads
from models.device import Placement, free_accelerator_memory, placement_from
from models.i2v import ImageToVideoRuntime
from models.kokoro import KokoroRuntime
from models.licences import licence_of, load_manifest
from models.llm import LLMRuntime
from models.music import MusicRuntime
from models.qwen_tts import QwenTTSRuntime
from models.t2i import TextToImageRuntime, text_window
from models.tts import CoquiTTSRuntime, EspeakRuntime
from models.video_decode import decode_tile
from models.warm import warm
from models.weights import fingerprint

RUNTIMES = {
    ("llm", "transformers"): LLMRuntime,
    ("t2i", "diffusers"): TextToImageRuntime,
    ("i2v", "diffusers"): ImageToVideoRuntime,
    ("tts", "coqui"): CoquiTTSRuntime,
    ("tts", "kokoro"): KokoroRuntime,
    ("tts", "espeak"): EspeakRuntime,
    ("tts", "qwen-tts"): QwenTTSRuntime,
    ("music", "diffusers"): MusicRuntime,
}


@dataclass
class LoadedModel:
    role: str
    backend: str
    name: str
    path: str
    device: str
    dtype: str
    parameters: int
    load_seconds: float
    licence: str  # the manifest's words for its folder (weights/manifest.toml)
    commercial: bool  # whether a studio may sell what it makes


class ModelRegistry:
    """The models in this process (models.contracts.LocalRegistry)."""

    def __init__(self, settings, placement: Placement | None = None):
        self.settings = settings
        self.placement = placement or placement_from(settings)
        self._models: dict[str, object] = {}
        self._lock = threading.RLock()
        # The speech runtime last loaded, kept after an unload (residency=stage): its voice lists
        # answer which voices a request may name without loading the model again.
        self.speech = None

    def start(self, worker: TaskThreads) -> dict[str, float]:
        """Load and warm every role here; `worker` runs one task at a time (it never grows)."""
        cores = os.cpu_count() or 1
        if self.placement.device == "cpu" and cores > 1:
            torch.set_num_threads(cores - 1)  # one core stays with the thread answering clients
        return warm(self)

    def close(self) -> None:
        """Nothing to let go of: the models stay loaded as long as the process (tests share one registry)."""

    def cluster_status(self) -> None:
        return None

    def backend(self, role: str) -> str:
        return getattr(self.settings, f"{role}_backend")

    def enabled(self, role: str) -> bool:
        return self.backend(role) != "none"

    def get(self, role: str):
        """The role's runtime, loaded on first use; None when the role is switched off."""
        if not self.enabled(role):
            return None
        with self._lock:
            if role not in self._models:
                if self.settings.residency == "stage":
                    for other in list(self._models):
                        self.unload(other)
                runtime_class = RUNTIMES[(role, self.backend(role))]
                runtime = runtime_class(self.settings.role_path(role), self.placement, **self.options(role))
                runtime.identity = self.identity(role, runtime)
                if role == "tts":
                    self.speech = runtime
                logger.info("loaded {} ({}) in {:.2f}s", role, runtime.name, runtime.load_seconds)
                self._models[role] = runtime
            return self._models[role]

    def options(self, role: str) -> dict:
        """What a role's runtime takes besides its folder and placement."""
        if role == "t2i":  # the keyframe model's IP-Adapter (character identities) lives in a folder of its own
            return {"ip_adapter_folder": self.settings.role_path("ip_adapter")}
        if role == "llm":
            return {"decode": self.settings.llm_decode, "answer_tokens": self.settings.llm_max_new_tokens}
        if role == "i2v":
            return {"decode_tile": decode_tile(self.settings)}
        return {}

    def check_voice(self, voice: str) -> None:
        """ValueError for a voice the speech engine does not have (nothing to check before it loads)."""
        if self.speech is not None:
            self.speech.check_voice(voice)

    def prompt_window(self) -> int:
        """The image model's text window, read from its folder as its runtime reads it (with
        residency=stage, asking must not swap the language model out for the image model)."""
        return text_window(self.settings.role_path("t2i"))

    def identity(self, role: str, runtime) -> str:
        """What the artifact store keys a model's outputs on: the fingerprints of its folder and of
        the `extra_folders` a runtime may name (t2i's IP-Adapter), and the placement (the same
        weights give other pixels in another dtype or on another device)."""
        folders = (runtime.folder, *getattr(runtime, "extra_folders", ()))
        fingerprints = tuple(fingerprint(folder) for folder in folders)
        parts = (role, runtime.name, *fingerprints, self.placement.device, self.placement.dtype_name)
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]

    def load_all(self) -> None:
        for role in ROLES:
            self.get(role)

    def unload(self, role: str) -> None:
        with self._lock:
            runtime = self._models.pop(role, None)
            if runtime is not None:
                runtime.unload()
                free_accelerator_memory()

    def report(self) -> list[dict]:
        loaded = list(dict(self._models).items())  # no lock: a report must not wait for a model to load
        manifest = load_manifest()
        licences = {role: licence_of(self.settings, role, manifest) for role, _ in loaded}
        return [
            asdict(
                LoadedModel(
                    role=role,
                    backend=self.backend(role),
                    name=runtime.name,
                    path=str(runtime.folder),
                    device=self.placement.device,
                    dtype=self.placement.dtype_name,
                    parameters=runtime.parameters,
                    load_seconds=round(runtime.load_seconds, 3),
                    licence=licences[role].text,
                    commercial=licences[role].commercial,
                )
            )
            for role, runtime in loaded
        ]
