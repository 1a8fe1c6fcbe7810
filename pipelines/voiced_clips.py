"""Steps 5 and 6 of a render: each chosen shot's narration, and its clip, as long as its line.

A clip's length depends on its own line only, so the two need not run one after the other: the
lines can be spoken in a thread beside the clips, in shot order, each clip starting as soon as its
line is ready: clip i is made while line i+1 is spoken. Never with `S2V_RESIDENCY=stage` (loading
one model would unload the other mid-shot); with `S2V_NARRATION_BESIDE_CLIPS=auto`, only where the
video model runs on a GPU (the speech on a CUDA stream of its own): on this project's 2-core CPU
the two share the cores, which saved 7 % with Kokoro beside Wan and made Qwen3-TTS's worker
process beside Wan 3.2x slower (docs/benchmarks.md). Both ways make the same files: each line and
each clip is keyed by its own inputs in the artifact store, and the speech engines seed torch's
global generator around each take, which the video model never draws from (its generators are
its own), so neither side moves the other's random numbers.
"""

import contextvars
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace

from models.device import side_stream
from models.errors import Cancelled, Paused
from pipelines.cast import described, dialogue
from pipelines.context import StageContext
from pipelines.dialogue import cast_voices
from pipelines.generated import Generated, carried
from pipelines.narration import duration_of
from pipelines.render_options import RenderOptions
from pipelines.specs import Audio, ClipSpec, Line, Shot
from pipelines.steps import animate, designed_voices, speak, video_model

PAD_SECONDS = 0.6  # silence after each scene's narration before the next begins
MIN_SCENE_SECONDS = 2.0


def scene_seconds(speech: float, transition: float) -> float:
    return max(MIN_SCENE_SECONDS, speech + PAD_SECONDS) + transition


def speaks_beside(ctx: StageContext) -> bool:
    """Whether this render speaks its lines while its clips are made."""
    setting = ctx.settings.narration_beside_clips
    if setting == "off" or ctx.settings.residency != "all":
        return False
    return setting == "on" or ctx.registry.placement.device.endswith("cuda")  # "cuda", or a cluster's "ray:cuda"


class Lines:
    """Each chosen shot's narration as it is made: `of` waits for one shot's line, or raises what
    stopped the speaking."""

    def __init__(self, shots: list[Shot]):
        self._ready: dict[str, Future] = {s.scene_id: Future() for s in shots}
        self.error: BaseException | None = None  # what stopped the speaking, if anything did

    def told(self, audio: Audio) -> None:
        self._ready[audio.scene_id].set_result(audio)

    def failed(self, error: BaseException) -> None:
        error.stage = "narration"  # where it happened: the task's last started stage is the clips
        self.error = error
        for line in self._ready.values():
            if not line.done():
                line.set_exception(error)

    def of(self, scene_id: str) -> Audio:
        return self._ready[scene_id].result()


def narrate_and_animate(
    ctx: StageContext, made: Generated, options: RenderOptions, size: tuple[int, int], until: str
) -> None:
    """The chosen shots' lines (`until="narration"` stops there), then their clips."""
    lines = Lines(made.chosen)
    if until == "narration" or not speaks_beside(ctx):
        narrate(ctx, made, options, lines, ctx.stage("narration"))
        if until != "narration":
            animate_shots(ctx, made, options, size, lines)
        return
    progress = ctx.stage("narration", beside=True)
    # Each side on a token of its own: a failure on one side stops the other mid-item; a cancel or
    # pause of the task reaches both.
    speaking = replace(ctx, cancel=ctx.cancel.child())
    animating = replace(ctx, cancel=ctx.cancel.child())
    on_gpu = side_stream(ctx.registry.placement.device)
    task_context = contextvars.copy_context()  # the task a cluster's lease is credited to, and the like

    def speak_lines() -> None:
        try:
            with on_gpu:
                narrate(speaking, made, options, lines, progress)
        except BaseException as error:  # the clip waiting for a line raises it (cancel and pause too)
            lines.failed(error)
            if not isinstance(error, Cancelled | Paused):  # a pause waits for the clip's end
                animating.cancel.cancel()
            return
        ctx.ended("narration")

    thread = threading.Thread(target=task_context.run, args=(speak_lines,), name="narration", daemon=True)
    thread.start()
    try:
        animate_shots(animating, made, options, size, lines)
    except BaseException as error:
        speaking.cancel.cancel()
        thread.join()
        if isinstance(error, Cancelled) and lines.error is not None:
            raise lines.error from None  # a line's failure stopped the clip: that failure is the render's
        raise
    finally:
        thread.join()


def narrate(
    ctx: StageContext, made: Generated, options: RenderOptions, lines: Lines, progress: Callable[[float], None]
) -> None:
    """The chosen shots' narration in shot order: spoken (quotes in their speakers' voices), or the
    shot's own; each told to `lines` as soon as it is in place."""
    started, board, chosen = time.perf_counter(), made.storyboard, made.chosen
    tts = ctx.registry.get("tts")
    clips = designed_voices(ctx, board.characters, board.language)
    named = cast_voices(board.characters, tts.character_voices(board.language), options.voice, frozenset(clips))
    board.characters = named  # the voices each character was given go back (a designed one is remade from the store)
    cast = [c.model_copy(update={"voice": clips[c.name]}) if c.name in clips else c for c in named]
    audios = []
    for done, shot in enumerate(chosen):
        if shot.audio is None:
            line = Line(
                scene_id=shot.scene_id,
                text=shot.narration,
                variant=shot.voice_variant,
                parts=dialogue(shot, cast),
                style=shot.emotion,
            )
            (audio,) = speak(
                ctx,
                [line],
                voice=shot.voice or options.voice,
                speed=options.speed,
                language=board.language,
                progress=lambda fraction, done=done: progress((done + fraction) / len(chosen)),
            )
        else:
            path = carried(ctx.store, shot.audio, ctx.task_dir / "audio", shot.scene_id)
            audio = Audio(scene_id=shot.scene_id, audio=path, duration=round(duration_of(path), 3))
            ctx.on_item(shot.scene_id, "narration", path)
            progress((done + 1) / len(chosen))
        audios.append(audio)
        lines.told(audio)
    made.audios = audios
    made.timings["narration"] = time.perf_counter() - started


def animate_shots(
    ctx: StageContext, made: Generated, options: RenderOptions, size: tuple[int, int], lines: Lines
) -> None:
    """A clip for each chosen shot, made as soon as its line is ready."""
    started, progress, chosen = time.perf_counter(), ctx.stage("clips"), made.chosen
    frames = {f.scene_id: f for f in made.frames}
    place = {s.scene_id: i for i, s in enumerate(made.shots)}
    i2v, warnings = video_model(ctx, [s.motion or options.video.motion for s in chosen])
    made.warnings += warnings
    for done, shot in enumerate(chosen):
        spec = clip_spec(made, options, place[shot.scene_id], frames[shot.scene_id].frame, lines.of(shot.scene_id))
        clips, clip_warnings = animate(
            ctx,
            [spec],
            i2v=i2v,
            fps=options.video.fps,
            size=size,
            progress=lambda fraction, done=done: progress((done + fraction) / len(chosen)),
        )
        made.clips += clips
        made.warnings += clip_warnings
    made.timings["clips"] = time.perf_counter() - started


def clip_spec(made: Generated, options: RenderOptions, index: int, frame, audio: Audio) -> ClipSpec:
    """The clip of shot `index`: as long as its narration plus a pause and the transition into the
    next shot (or its own duration)."""
    shot = made.shots[index]
    transition = shot.transition or options.video.transition
    joined = made.overlap if transition != "none" and index < len(made.shots) - 1 else 0.0
    spoken = audio.duration
    duration = shot.duration if shot.duration is not None else scene_seconds(spoken, joined)
    if shot.duration is not None and spoken > shot.duration - joined:
        made.warnings.append(f"{shot.scene_id}: its narration ({spoken:.1f} s) is longer than the shot; it runs over")
    return ClipSpec(
        scene_id=shot.scene_id,
        frame=frame,
        duration=duration,
        transition=transition,
        motion=shot.motion or options.video.motion,
        prompt=described(shot, made.storyboard.characters),
        camera=shot.camera,
        seed=shot.clip_seed if shot.clip_seed is not None else made.seeds[shot.scene_id],
    )
