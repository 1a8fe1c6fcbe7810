"""Keyframes: one SDXL-Turbo image per scene, in as few batched calls as memory allows, each kept
in the artifact store under the hash of its prompt, seed, size, steps, model and the identity
images it is conditioned on. Scenes with the same identities share a call (the model conditions a
whole call on one set of pictures). A prompt longer than the model's text window is read whole
where the model reads windows (SDXL), and cut with a warning where it cannot."""

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from models.cancel import CancelToken
from pipelines.artifact_store import ArtifactStore, content_key, key_of
from pipelines.specs import Frame, FrameSpec, check_scene_ids

RESOLUTION = re.compile(r"^\s*(\d{1,5})\s*[xX×]\s*(\d{1,5})\s*$")
MAX_SEED = 2**63 - 1


def parse_resolution(text: str, max_pixels: int) -> tuple[int, int]:
    match = RESOLUTION.match(text or "")
    if not match:
        raise ValueError("resolution must look like 768x512")
    width, height = int(match.group(1)), int(match.group(2))
    if width % 8 or height % 8 or width < 64 or height < 64:
        raise ValueError("width and height must be multiples of 8, at least 64")
    if width * height > max_pixels:
        raise ValueError(f"{width}x{height} is over the pixel budget of {max_pixels} pixels")
    return width, height


def check_inputs(specs: list[FrameSpec], steps: int, guidance: float) -> None:
    check_scene_ids(specs, "scenes to draw")
    if not 1 <= steps <= 8:
        raise ValueError("num_steps must be between 1 and 8")
    if not 0 <= guidance <= 10:
        raise ValueError("cfg_scale must be between 0 and 10")
    if any(not 0 <= spec.seed <= MAX_SEED for spec in specs):
        raise ValueError(f"seed must be between 0 and {MAX_SEED}")
    if any(not 0 <= i.strength <= 1 for spec in specs for i in spec.identities):
        raise ValueError("an identity's strength must be between 0 and 1")


def scene_seed(base: int, scene_id: str) -> int:
    """A scene's own seed, drawn from a base seed and its id: stable when other scenes are added,
    removed or moved, so an edit redraws only the scene it touches."""
    return int(hashlib.sha256(f"{base}:{scene_id}".encode()).hexdigest()[:12], 16) % 2**31


def _batch_progress(on_progress, done_before: int, size: int, total_items: int):
    """A denoising-step callback that reports the whole stage's fraction."""

    def step(i: int, steps: int) -> None:
        if on_progress:
            on_progress((done_before + size * i / steps) / total_items)

    return step


def batches(todo: list, size: int):
    """(index of the first, chunk): chunks of at most `size` whose scenes share their identities."""
    groups: dict[tuple, list] = {}
    for job in todo:
        groups.setdefault(tuple((str(i.image), i.strength) for i in job[0].identities), []).append(job)
    start = 0
    for group in groups.values():
        for at in range(0, len(group), size):
            yield start, group[at : at + size]
            start += len(group[at : at + size])


def cut_warning(label: str, model: str, dropped: int, window: int) -> str:
    """What a task's warnings say of a prompt whose end a model's text encoder never read."""
    return (
        f"{label}: the {model} model reads {window} tokens of a prompt; the last {dropped} of this one were "
        "dropped (what a prompt says first is kept)"
    )


def load_rgb(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")


def make_frames(
    specs: list[FrameSpec],
    out_dir: Path,
    t2i,
    store: ArtifactStore,
    *,
    width: int,
    height: int,
    steps: int = 4,
    guidance: float = 0.0,
    batch: int = 4,
    cancel: CancelToken | None = None,
    on_progress: Callable[[float], None] | None = None,
    on_item: Callable[[Frame], None] | None = None,
    names: dict[str, str] | None = None,
) -> tuple[list[Frame], list[str]]:
    """One PNG per spec, from the store when the same picture was drawn before; `on_item` hears of
    each as soon as it is in place. The warnings name each spec whose prompt was cut (by
    `names[scene_id]` where given, else by its scene id)."""
    check_inputs(specs, steps, guidance)
    if any(spec.identities for spec in specs) and not getattr(t2i, "takes_identities", False):
        raise ValueError("this image model takes no identity images (no IP-Adapter loaded)")
    # Each prompt's reading, then each negative's (read, with guidance, in as many windows as its prompt).
    readings = t2i.read_prompts([spec.prompt for spec in specs] + [spec.negative_prompt for spec in specs])
    warnings = [
        cut_warning((names or {}).get(spec.scene_id, spec.scene_id), "image", reading.dropped, t2i.text_window)
        for spec, reading in zip(specs, readings[: len(specs)], strict=True)
        if reading.dropped
    ]
    jobs = []
    for index, spec in enumerate(specs):
        windows = max(readings[index].windows, readings[len(specs) + index].windows)
        # A keyframe with no identities and a prompt of one text window is keyed as before casts and
        # long prompts existed (the model's identity aside): its picture is the same.
        conditioned = (
            {"faces": [(content_key(i.image), i.strength) for i in spec.identities]} if spec.identities else {}
        )
        if windows > 1:
            conditioned["windows"] = windows
        key = key_of(
            stage="frame",
            prompt=spec.prompt,
            negative=spec.negative_prompt,
            seed=spec.seed,
            size=(width, height),
            steps=steps,
            guidance=guidance,
            model=t2i.identity,
            **conditioned,
        )
        jobs.append((spec, key, out_dir / f"{spec.scene_id}.png"))

    def placed(spec: FrameSpec, artifact: Path, path: Path) -> Frame:
        frame = Frame(scene_id=spec.scene_id, frame=store.place(artifact, path), seed=spec.seed)
        if on_item:
            on_item(frame)
        return frame

    done = {}
    for spec, key, path in jobs:
        if (artifact := store.find(key, ".png")) is not None:
            done[spec.scene_id] = placed(spec, artifact, path)
    todo = [job for job in jobs if job[0].scene_id not in done]
    for start, chunk in batches(todo, batch):
        if cancel:
            cancel.raise_if_cancelled(boundary=True)
        step = _batch_progress(on_progress, start, len(chunk), len(todo))
        faces = chunk[0][0].identities
        images = t2i.generate(
            [spec.prompt for spec, _, _ in chunk],
            [spec.seed for spec, _, _ in chunk],
            width,
            height,
            steps=steps,
            guidance=guidance,
            negative_prompts=[spec.negative_prompt for spec, _, _ in chunk],
            cancel=cancel,
            on_step=step,
            **({"identities": [(load_rgb(i.image), i.strength) for i in faces]} if faces else {}),
        )
        for (spec, key, path), image in zip(chunk, images, strict=True):
            with store.making(key, ".png") as part:
                image.save(part, format="PNG")
            done[spec.scene_id] = placed(spec, store.path(key, ".png"), path)
    if on_progress:
        on_progress(1.0)
    return [done[spec.scene_id] for spec, _, _ in jobs], warnings
