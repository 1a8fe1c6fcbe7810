"""The model steps a render and the single-stage tasks share: each takes a `StageContext` (models,
store, folder, cancel, hooks, limits) and typed specs, and hands back typed results."""

from collections.abc import Iterable
from pathlib import Path

from pipelines import clips as clips_stage
from pipelines.cast import make_designs
from pipelines.context import StageContext
from pipelines.frames import make_frames
from pipelines.narration import design_voices, make_narration
from pipelines.render_options import ImageOptions
from pipelines.specs import Audio, Character, Clip, ClipSpec, Frame, FrameSpec, Line


def keyframes(
    ctx: StageContext, specs: list[FrameSpec], size: tuple[int, int], image: ImageOptions, progress, t2i=None
) -> tuple[list[Frame], list[str]]:
    """Draw `specs` (from the store when drawn before); each file is told to `ctx.on_item`. The
    warnings name the specs whose prompts the model's text window cut."""
    return make_frames(
        specs,
        ctx.task_dir / "frames",
        t2i or ctx.registry.get("t2i"),
        ctx.store,
        width=size[0],
        height=size[1],
        steps=image.num_steps,
        guidance=image.cfg_scale,
        batch=ctx.settings.t2i_batch,
        cancel=ctx.cancel,
        on_progress=progress,
        on_item=lambda f: ctx.on_item(f.scene_id, "keyframe", f.frame),
    )


def designs(
    ctx: StageContext, cast: list[Character], style: str, image: ImageOptions, t2i
) -> tuple[dict[str, Path], list[str]]:
    """Each character's design portrait, drawn from its description in the render's style, and the
    warnings of its drawing."""
    return make_designs(
        cast,
        ctx.task_dir / "cast",
        t2i,
        ctx.store,
        style=style,
        max_pixels=ctx.settings.max_pixels,
        steps=image.num_steps,
        guidance=image.cfg_scale,
        cancel=ctx.cancel,
        on_item=lambda name, path: ctx.on_item(name, "design", path),
    )


def speak(
    ctx: StageContext, lines: list[Line], *, voice, speed: float, language: str, progress, fmt: str = "wav"
) -> list[Audio]:
    """Speak `lines` in one voice (from the store when spoken before)."""
    return make_narration(
        lines,
        ctx.task_dir / "audio",
        ctx.registry.get("tts"),
        ctx.store,
        voice=voice,
        speed=speed,
        fmt=fmt,
        language=language,
        cancel=ctx.cancel,
        on_progress=progress,
        on_item=lambda a: ctx.on_item(a.scene_id, "narration", a.audio),
        timeout=ctx.timeout,
    )


def designed_voices(ctx: StageContext, cast: list[Character], language: str) -> dict[str, str]:
    """The characters' voices designed from their descriptions (by an engine that designs voices),
    each a reference clip in the store, by name."""
    return design_voices(cast, ctx.registry.get("tts"), ctx.store, language, ctx.cancel)


def video_model(ctx: StageContext, motions: Iterable[str]) -> tuple[object | None, list[str]]:
    """The image-to-video runtime when a motion asks for it (None otherwise); a model that cannot
    load leaves a warning and pan/zoom clips, never a failed task."""
    warnings: list[str] = []
    i2v = clips_stage.load_i2v(ctx.registry, warnings) if "i2v" in set(motions) else None
    return i2v, warnings


def animate(
    ctx: StageContext, specs: list[ClipSpec], *, i2v, fps: int, size: tuple[int, int], progress
) -> tuple[list[Clip], list[str]]:
    """A clip per spec, animated by `i2v` (from `video_model`) where the spec's motion asks for it."""
    return clips_stage.make_clips(
        specs,
        ctx.task_dir / "clips",
        ctx.store,
        fps=fps,
        width=size[0],
        height=size[1],
        i2v=i2v,
        settings=ctx.settings,
        cancel=ctx.cancel,
        on_progress=progress,
        on_item=lambda c: ctx.on_item(c.scene_id, "clip", c.clip),
        timeout=ctx.timeout,
    )
