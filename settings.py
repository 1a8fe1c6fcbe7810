"""The one settings object of the project: every knob is an `S2V_*` environment variable."""

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="S2V_", env_file=".env", extra="ignore")

    # Where things live.
    weights_dir: Path = ROOT / "weights"  # one sub-folder per role (relative paths are from the repository root)
    data_dir: Path = ROOT / "data"  # everything tasks produce: job table, artifact store, task and project files
    music_dir: Path | None = None  # music tracks for `music: true`, picked by the scenes' mood words
    font_file: Path | None = None  # subtitles font; found with fontconfig when unset

    profile: Literal["default", "licence-clean"] = "default"  # licence-clean: only models a studio may sell films from

    # One folder per role under weights_dir (or an absolute path).
    llm_model: str = "llm"  # the storyboard LLM's folder
    t2i_model: str = "t2i"  # the keyframe model's folder (t2i-zimage, t2i-flux2: Apache-2.0 alternatives)
    i2v_model: str = "i2v"  # the image-to-video model's folder (i2v-wan, i2v-svd: alternatives)
    tts_model: str = "tts"  # the speech model's folder (a coqui model; tts-kokoro, tts-qwen for their backends)
    ip_adapter_model: str = "ip-adapter"  # keyframes' character identities (SDXL only; absent: none)

    # Per-role backends: "none" turns a role off (rule-based storyboard, pan/zoom clips).
    llm_backend: Literal["transformers", "none"] = "transformers"  # none: a rule-based storyboard, no topics
    t2i_backend: Literal["diffusers"] = "diffusers"  # keyframes are always drawn: the one backend
    i2v_backend: Literal["diffusers", "none"] = "diffusers"  # none: pan/zoom clips only
    tts_backend: Literal["coqui", "kokoro", "qwen-tts", "espeak"] = "coqui"  # kokoro: Kokoro-82M; qwen-tts: Qwen3-TTS

    # Placement and the GPU knobs a studio needs; all selection logic lives in models/device.py.
    device: Literal["auto", "cpu", "cuda"] = "auto"  # auto: CUDA when there is a GPU
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = "auto"  # auto: fp32 on CPU; GPUs: bf16, else fp16
    attention: Literal["auto", "sdpa", "xformers", "eager"] = "auto"  # auto: xformers on CUDA if importable, else SDPA
    vae_slicing: bool = True  # decode a batch one image at a time, where the VAE can
    vae_tiling: bool = False  # decode in tiles (less VRAM), where the VAE can
    i2v_decode: Literal["auto", "full", "tiled"] = "auto"  # video VAE (Wan, LTX): whole or tiled; auto: as vae_tiling
    i2v_decode_tile: int = Field(
        default=0, ge=0, le=2048, multiple_of=128
    )  # tiled: a tile's side in px, a multiple of 128; 0: the VAE's own (Wan 256, LTX 512)
    cpu_offload: Literal["none", "model", "sequential"] = "none"  # diffusers' CPU offload (CUDA only)
    residency: Literal["all", "stage"] = "all"  # stage: only the role in use stays loaded (24 GB cards)
    narration_beside_clips: Literal["auto", "on", "off"] = (
        "auto"  # speak the next lines while a clip is made (residency=all only); auto: when the video model is on a GPU
    )
    max_pixels: int = Field(default=1024 * 1024, ge=64 * 64)  # keyframe pixel budget
    t2i_batch: int = Field(default=4, ge=1, le=64)  # keyframes per diffusion call
    i2v_frames: int = Field(default=25, ge=2, le=161)  # frames the i2v model makes per clip
    i2v_steps: int = Field(default=25, ge=1, le=100)  # denoising steps per clip
    i2v_resolution: str = "768x512"  # i2v working size (the clip is scaled to the output after)
    i2v_guidance: float | None = Field(default=None, ge=1.0, le=20.0)  # CFG override: 1.0 for distilled checkpoints
    llm_max_new_tokens: int = Field(default=4096, ge=64)  # tokens the LLM may write for one storyboard or story
    llm_decode: Literal["auto", "eager", "static", "compiled"] = (
        "auto"  # auto: compiled (static KV cache, CUDA graphs) on CUDA, eager on CPU
    )

    # HTTP server.
    host: str = "127.0.0.1"  # where python -m server listens (0.0.0.0 for the LAN)
    port: int = Field(default=8000, ge=1, le=65535)  # its port
    api_keys: str = ""  # comma-separated; empty means no auth
    max_queue: int = Field(default=32, ge=1)  # pending + running tasks before work endpoints answer 429
    max_body_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)  # a larger request body gets 413
    ffmpeg_timeout: float = Field(default=1800.0, gt=0)  # seconds before an ffmpeg run is stopped
    ffmpeg_workers: int = Field(default=1, ge=1, le=8)  # tasks whose ffmpeg part (compose, pan/zoom) runs at once
    shutdown_grace: float = Field(default=10.0, ge=0)  # seconds running tasks get when the server stops
    max_upload_bytes: int = Field(default=256 * 1024 * 1024, ge=1024)  # one POST /uploads file
    loudness_lufs: float = Field(
        default=-16.0, ge=-31.0, le=-5.0
    )  # the mix's integrated loudness (-14 YouTube, -23 EBU)
    cache_max_gb: float = Field(default=100.0, ge=0)  # artifacts no task or project references, at most

    # GPU speed options for the denoiser (models/speed.py); docs/gpu-plan.md gives defaults per card.
    denoiser_cache: Literal["none", "first-block"] = "none"  # first-block: diffusers' First-Block-Cache
    denoiser_cache_threshold: float = Field(default=0.05, gt=0, le=1)  # its threshold: higher skips more
    compile_blocks: bool = False  # compile_repeated_blocks on CUDA
    fp8: Literal["off", "auto", "on"] = "off"  # torchao float8 matmuls: on, or auto (with compile_blocks on fp8 GPUs)
    attention_backend: Literal[
        "auto", "native", "_native_cudnn", "_native_flash", "_native_efficient", "_native_math", "flash", "flex", "sage"
    ] = "auto"  # auto: diffusers' default (PyTorch SDPA)

    # Text-to-music for the background bed (models/music.py); user tracks in music_dir still win.
    music_model: str = "music"  # the text-to-music model's folder
    music_backend: Literal["diffusers", "none"] = "diffusers"  # none: no music is composed

    # Scale-out on Ray (cluster/): unset, the models run in this process as always.
    ray_address: str | None = None  # "auto" (a `ray start --head` on the server's machine) or host:port of the head
    ray_resource: str = Field(default="GPU", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")  # one render slot per unit
    ray_max_attempts: int = Field(default=3, ge=1, le=20)  # tries of one item on lost slots before the task fails
    ray_slot_wait: float = Field(default=600.0, gt=0)  # seconds to wait for a live slot (models load first)

    @field_validator("weights_dir", "data_dir", "music_dir", "font_file", mode="after")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return value if value is None else (ROOT / value).resolve()

    @model_validator(mode="after")
    def _profile(self) -> "Settings":
        if self.profile == "licence-clean":
            from models.licences import apply_licence_clean

            apply_licence_clean(self)
        return self

    def role_path(self, role: str) -> Path:
        folder = Path(getattr(self, f"{role}_model"))
        return folder if folder.is_absolute() else self.weights_dir / folder

    @field_validator("ray_address", mode="after")
    @classmethod
    def _ray_address(cls, value: str | None) -> str | None:
        value = (value or "").strip()
        if not value:
            return None
        if value != "auto" and not re.fullmatch(r"[\w.-]+:\d{1,5}", value):
            raise ValueError("S2V_RAY_ADDRESS must be 'auto' or host:port of a Ray head node")
        return value

    @property
    def api_key_list(self) -> list[str]:
        return [key.strip() for key in self.api_keys.split(",") if key.strip()]


@lru_cache
def get_settings() -> Settings:
    return Settings()
