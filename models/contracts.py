"""The runtime contracts: what the worker, the stages and the cluster may call on a registry and on
each role's runtime, declared once.

Two registries keep them: `models.registry.ModelRegistry` (the models in this process) and
`cluster.registry.RemoteRegistry` (the models on a Ray cluster's render slots, reached through
proxies). tests/test_contracts.py checks both against these Protocols, so drift fails there.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

from PIL import Image

from models.cancel import CancelToken
from models.music import Music
from models.t2i import IdentityImage
from models.text_windows import Reading
from models.tts import Speech
from settings import Settings

ROLES = ("llm", "t2i", "i2v", "tts")  # loaded up front; music loads on first use (only some renders ask for it)
StepHook = Callable[[int, int], None]  # (step, total) as a denoising loop advances
TextHook = Callable[[str], None]  # the next piece of a text as the LLM writes it


@runtime_checkable
class Runtime(Protocol):
    """What a registry reads of any role's runtime (its report, its artifact identity) and unloads."""

    name: str
    folder: Path
    parameters: int
    load_seconds: float
    identity: str  # set by the registry: what the artifact store keys this model's outputs on

    def unload(self) -> None: ...


@runtime_checkable
class LanguageModel(Runtime, Protocol):
    def generate(self, messages: list[dict], max_new_tokens: int = 512, cancel: CancelToken | None = None) -> str: ...

    def generate_json(
        self,
        messages: list[dict],
        schema: dict,
        max_new_tokens: int = 2048,
        cancel: CancelToken | None = None,
        on_text: TextHook | None = None,
    ) -> dict: ...


@runtime_checkable
class ReadsPrompts(Runtime, Protocol):
    """A model conditioned on text: how much of a prompt its text encoder reads."""

    text_window: int  # tokens its encoder reads at once (SDXL: one CLIP window of 77); 0: it reads no text

    def read_prompts(self, prompts: list[str]) -> list[Reading]:
        """How it reads each prompt: in how many windows, and how many tokens at its end it never reads."""
        ...


@runtime_checkable
class ImageModel(ReadsPrompts, Protocol):
    takes_identities: bool  # an IP-Adapter is loaded: `identities` may condition the keyframes

    def generate(
        self,
        prompts: list[str],
        seeds: list[int],
        width: int,
        height: int,
        steps: int = 4,
        guidance: float = 0.0,
        negative_prompts: list[str] | None = None,
        cancel: CancelToken | None = None,
        on_step: StepHook | None = None,
        identities: list[IdentityImage] | None = None,
    ) -> list[Image.Image]: ...


@runtime_checkable
class VideoModel(ReadsPrompts, Protocol):
    def frame_count(self, wanted: int) -> int: ...

    def fit_size(self, width: int, height: int) -> tuple[int, int]: ...

    def animate(
        self,
        image: Image.Image,
        num_frames: int,
        width: int,
        height: int,
        steps: int,
        seed: int,
        fps: int,
        prompt: str = "",
        negative_prompt: str = "",
        cancel: CancelToken | None = None,
        on_step: StepHook | None = None,
        guidance: float | None = None,
    ) -> list[Image.Image]: ...


@runtime_checkable
class Voices(Protocol):
    """The voices a request may name, answered without running the speech model."""

    voices: list[str]
    clones_voices: bool  # a reference clip's path is a voice too
    designs_voices: bool  # it has design_voice(description, text, language, cancel) -> Speech: a reference clip
    # `style` (how a line is spoken: "whispering, afraid") changes a named voice's take; a cloned voice
    # (a reference clip) keeps its clip's manner. False: the engine ignores every style.
    takes_styles: bool

    def character_voices(self, language: str) -> list[str]: ...

    def check_voice(self, voice: str) -> None: ...


@runtime_checkable
class SpeechModel(Runtime, Voices, Protocol):
    sample_rate: int

    def synthesize(
        self,
        text: str,
        voice: str | None,
        language: str,
        speed: float = 1.0,
        cancel: CancelToken | None = None,
        style: str | None = None,
    ) -> Speech: ...


@runtime_checkable
class MusicModel(Runtime, Protocol):
    sample_rate: int

    def compose(
        self,
        prompt: str,
        seconds: float,
        seed: int = 0,
        steps: int = 8,
        cancel: CancelToken | None = None,
        on_step: StepHook | None = None,
    ) -> Music: ...


CONTRACTS: dict[str, type[Runtime]] = {  # what `Registry.get(role)` returns
    "llm": LanguageModel,
    "t2i": ImageModel,
    "i2v": VideoModel,
    "tts": SpeechModel,
    "music": MusicModel,
}


@runtime_checkable
class PlacementView(Protocol):
    """Where the models run, as /system shows it."""

    device: str
    dtype_name: str


@runtime_checkable
class TaskThreads(Protocol):
    """The worker as a registry's `start` sees it."""

    def current_task(self) -> str | None: ...

    def grow(self, count: int) -> None: ...


@runtime_checkable
class Registry(Protocol):
    """What the worker, the stages and the routes call on the models, wherever they run."""

    settings: Settings
    placement: PlacementView
    speech: Voices | None  # None until a speech model has loaded

    def start(self, worker: TaskThreads) -> dict[str, float]:
        """Make the models ready (load and warm them here, or join the cluster that holds them);
        returns the seconds each role took to warm."""
        ...

    def close(self) -> None: ...

    def enabled(self, role: str) -> bool: ...

    def get(self, role: str) -> Runtime | None:
        """The role's runtime (it keeps `CONTRACTS[role]`); None when the role is switched off."""
        ...

    def check_voice(self, voice: str) -> None:
        """ValueError for a voice the speech model does not have (nothing to check before it loads)."""
        ...

    def prompt_window(self) -> int:
        """The image model's `text_window`, read without loading it: what a storyboard's prompts keep within."""
        ...

    def report(self) -> list[dict]: ...

    def cluster_status(self) -> dict | None:
        """The render slots and what each is doing; None when the models run in this process."""
        ...


@runtime_checkable
class LocalRegistry(Registry, Protocol):
    """A registry whose models live in this process: it can unload them (residency=stage, warming)."""

    def unload(self, role: str) -> None: ...
