"""Background music from text: ACE-Step (Apache-2.0) or Stable Audio Open through diffusers.

The folder's model_index.json picks the pipeline. Callers pass a mood prompt and a length, and get
float32 samples (frames x channels) at the model's own rate; files and mixing are the stages'.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.cancel import CancelToken
from models.device import Placement
from models.diffusion import generators, load_pipeline, run_guarded, step_callback

MAX_SECONDS = 600.0  # ACE-Step generates up to 10 minutes in one call


def _ace_step_arguments(prompt: str, seconds: float) -> dict:
    # An instrumental bed: no lyrics, so no vocals. CFG is left to the pipeline: turbo checkpoints
    # say so in their config and run without it.
    return {"prompt": prompt, "lyrics": "", "audio_duration": seconds}


def _stable_audio_arguments(prompt: str, seconds: float) -> dict:
    return {"prompt": prompt, "audio_end_in_s": seconds, "negative_prompt": "vocals, speech, low quality"}


FAMILIES = {"AceStepPipeline": _ace_step_arguments, "StableAudioPipeline": _stable_audio_arguments}


@dataclass
class Music:
    samples: np.ndarray  # (frames, channels) float32
    sample_rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate


class MusicRuntime:
    role = "music"

    def __init__(self, folder: Path, placement: Placement):
        self.folder = folder
        self.placement = placement
        self.pipe, self.load_seconds, self.parameters = load_pipeline(self.role, folder, placement)
        self.name = type(self.pipe).__name__
        if self.name not in FAMILIES:
            raise ValueError(f"{folder} holds a {self.name}, not a text-to-music pipeline we support")
        self.sample_rate = int(self.pipe.vae.config.sampling_rate)

    def compose(
        self,
        prompt: str,
        seconds: float,
        seed: int = 0,
        steps: int = 8,
        cancel: CancelToken | None = None,
        on_step: Callable[[int, int], None] | None = None,
    ) -> Music:
        if not prompt.strip():
            raise ValueError("a music prompt is needed (the storyboard's bgm moods)")
        if not 0 < seconds <= MAX_SECONDS:
            raise ValueError(f"music length must be in (0, {MAX_SECONDS:.0f}] seconds")
        result = run_guarded(
            lambda: self.pipe(
                num_inference_steps=steps,
                generator=generators([seed])[0],
                callback_on_step_end=step_callback(cancel, on_step, steps),
                **FAMILIES[self.name](prompt, seconds),
            )
        )
        audio = result.audios[0]  # (channels, samples)
        samples = np.ascontiguousarray(audio.float().cpu().numpy().T, dtype=np.float32)
        return Music(samples[: round(seconds * self.sample_rate)], self.sample_rate)

    def unload(self) -> None:
        del self.pipe
