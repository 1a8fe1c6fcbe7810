"""Clips: one mp4 per scene of exactly round(duration * fps) frames at the output size.

- `i2v` animates the keyframe with the image-to-video model, then fits its frames to the
  duration by time-stretching: each output frame blends the two nearest model frames, so the
  motion plays once, slowed or sped up, with no loop or jump. If the model fails for a scene,
  that scene falls back to `kenburns` and a warning says so; a warning names a scene whose prompt
  is longer than the model's text window (its end is not read).
- `kenburns` moves over the keyframe with ffmpeg's zoompan, as the shot's `camera` says.
- `static` holds the keyframe.
"""

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
from loguru import logger
from PIL import Image, ImageOps

from models.cancel import CancelToken
from models.errors import Cancelled
from pipelines import ffmpeg
from pipelines.artifact_store import ArtifactStore, content_key, key_of
from pipelines.frames import cut_warning
from pipelines.shot import CAMERAS, MOTIONS
from pipelines.specs import Clip, ClipSpec, check_scene_ids

NAMED = {"480p": 480, "720p": 720, "1080p": 1080}
ASPECTS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1)}
SIZE = re.compile(r"^\s*(\d{1,5})\s*[xX×]\s*(\d{1,5})\s*$")
MAX_VIDEO_PIXELS = 1920 * 1920
# A clip lasts as long as its scene's narration, and a scene may hold a whole story; a duration a
# person gives is at most 30 s (pipelines/shot.py), checked where it is given.
MAX_CLIP_SECONDS = 3600
# A keyframe every half second at 24 fps: composition seeks into clips for each transition, and a
# short GOP lets it start decoding near the frames it needs instead of at the clip's start.
ENCODE = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p", "-g", "12", "-an"]
# Camera moves as (zoom, x, y) zoompan expressions over the clip's progress p in 0..1.
MOVES = {
    "push_in": ("1+0.15*p", "(iw-iw/zoom)/2", "(ih-ih/zoom)/2"),
    "pull_out": ("1.15-0.15*p", "(iw-iw/zoom)/2", "(ih-ih/zoom)/2"),
    "pan_right": ("1.15", "(iw-iw/zoom)*p", "(ih-ih/zoom)/2"),
    "pan_left": ("1.15", "(iw-iw/zoom)*(1-p)", "(ih-ih/zoom)/2"),
    "tilt_down": ("1.15", "(iw-iw/zoom)/2", "(ih-ih/zoom)*p"),
    "tilt_up": ("1.15", "(iw-iw/zoom)/2", "(ih-ih/zoom)*(1-p)"),
    # half a circle around the centre, slightly zoomed: the nearest a still picture gets to an orbit
    "orbit": ("1.2", "(iw-iw/zoom)/2*(1-cos(PI*p))", "(ih-ih/zoom)/2*(1-sin(PI*p))"),
}
CAMERA_WORDS = {
    "static": "static camera",
    "pan_left": "camera pans left",
    "pan_right": "camera pans right",
    "push_in": "camera slowly pushes in",
    "pull_out": "camera slowly pulls out",
    "tilt_up": "camera tilts up",
    "tilt_down": "camera tilts down",
    "orbit": "camera orbits the subject",
}


def even(value: float) -> int:
    return max(2, round(value / 2) * 2)  # H.264 with yuv420p needs even sizes


def video_size(resolution: str, aspect: str = "16:9") -> tuple[int, int]:
    """'720p' / '1080p' / '480p' with an aspect, or an explicit 'WxH' (which wins)."""
    if aspect not in ASPECTS:
        raise ValueError("aspect must be 16:9, 9:16 or 1:1")
    if resolution in NAMED:
        short = NAMED[resolution]
        across, down = ASPECTS[aspect]
        if across >= down:
            return even(short * across / down), short
        return short, even(short * down / across)
    match = SIZE.match(resolution or "")
    if not match:
        raise ValueError("resolution must be 480p, 720p, 1080p or WxH")
    width, height = int(match.group(1)), int(match.group(2))
    if width < 16 or height < 16 or width % 2 or height % 2:
        raise ValueError("width and height must be even and at least 16")
    if width * height > MAX_VIDEO_PIXELS:
        raise ValueError(f"{width}x{height} is larger than the {MAX_VIDEO_PIXELS}-pixel limit")
    return width, height


def frame_count(duration: float, fps: int) -> int:
    return max(1, round(duration * fps))


def check_fps(fps: int) -> None:
    if not 1 <= fps <= 60:
        raise ValueError("fps must be between 1 and 60")


def check_camera(camera: str) -> None:
    if camera not in CAMERAS:
        raise ValueError(f"camera must be one of {', '.join(CAMERAS)}")


def check_motion(motion: str) -> None:
    if motion not in MOTIONS:
        raise ValueError(f"motion must be one of {', '.join(MOTIONS)}")


def check_inputs(specs: list[ClipSpec], fps: int) -> None:
    check_scene_ids(specs, "clips to make")
    check_fps(fps)
    for spec in specs:
        if not 0.5 <= spec.duration <= MAX_CLIP_SECONDS:
            raise ValueError(f"duration must be between 0.5 and {MAX_CLIP_SECONDS} seconds")
        check_motion(spec.motion)
        check_camera(spec.camera)


def cover(image: Image.Image, width: int, height: int) -> Image.Image:
    """Scale and centre-crop to fill the frame (a 3:2 keyframe in a 9:16 video fills it)."""
    return ImageOps.fit(image.convert("RGB"), (width, height), Image.LANCZOS)


def still_clip(spec: ClipSpec, out: Path, width: int, height: int, fps: int, **run) -> None:
    """`static` holds the keyframe; `kenburns` moves over it as the shot's camera says."""
    frames = frame_count(spec.duration, fps)
    fill = f"scale={width * 2}:{height * 2}:force_original_aspect_ratio=increase,crop={width * 2}:{height * 2}"
    if spec.motion == "static" or spec.camera not in MOVES:
        graph = f"{fill},scale={width}:{height},setsar=1,fps={fps},format=yuv420p"
    else:
        progress = f"(on/{max(frames - 1, 1)})"
        zoom, x, y = (re.sub(r"\bp\b", progress, expr) for expr in MOVES[spec.camera])
        graph = f"{fill},zoompan=z='{zoom}':x='{x}':y='{y}':d=1:s={width}x{height}:fps={fps},setsar=1,format=yuv420p"
    args = ["-loop", "1", "-framerate", str(fps), "-i", str(spec.frame), "-vf", graph]
    ffmpeg.run([*args, "-frames:v", str(frames), "-r", str(fps), *ENCODE, str(out)], remove_on_failure=out, **run)


def stretch(frames: list[np.ndarray], count: int):
    """`count` frames spanning the model's frames once: each a blend of its two nearest neighbours."""
    last = len(frames) - 1
    for index in range(count):
        position = index * last / max(count - 1, 1)
        low = int(position)
        high = min(low + 1, last)
        weight = position - low
        if weight < 1e-3 or low == high:
            yield frames[low]
        else:
            blend = frames[low].astype(np.float32) * (1 - weight) + frames[high].astype(np.float32) * weight
            yield blend.round().astype(np.uint8)


def i2v_prompt(spec: ClipSpec) -> str:
    return ", ".join(part for part in (spec.prompt, CAMERA_WORDS.get(spec.camera, "")) if part)


def animated_clip(spec, out, width, height, fps, i2v, settings, cancel, **run) -> None:
    work_w, work_h = (int(v) for v in settings.i2v_resolution.lower().split("x"))
    with Image.open(spec.frame) as keyframe:
        generated = i2v.animate(
            cover(keyframe, work_w, work_h),
            settings.i2v_frames,
            work_w,
            work_h,
            steps=settings.i2v_steps,
            seed=spec.seed,
            fps=fps,
            prompt=i2v_prompt(spec),
            cancel=cancel,
            guidance=settings.i2v_guidance,
        )
    frames = [np.asarray(cover(frame, width, height)) for frame in generated]
    count = frame_count(spec.duration, fps)

    def feed(pipe) -> None:
        for frame in stretch(frames, count):
            pipe.write(frame.tobytes())

    source = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(fps), "-i", "pipe:0"]
    ffmpeg.run(
        [*source, "-frames:v", str(count), *ENCODE, str(out)],
        cancel=cancel,
        stdin_feed=feed,
        remove_on_failure=out,
        **run,
    )


def load_i2v(registry, warnings: list[str]):
    """The image-to-video runtime, or None with a warning if it cannot load: clips then pan and zoom."""
    try:
        return registry.get("i2v")
    except Cancelled:
        raise
    except Exception as error:  # weights missing, out of memory while loading: the render goes on
        logger.warning("image-to-video model unavailable: {}", error)
        code = getattr(error, "code", type(error).__name__)
        warnings.append(f"the image-to-video model could not be loaded ({code}); scenes use a pan/zoom instead")
        return None


def make_clips(
    specs: list[ClipSpec],
    out_dir: Path,
    store: ArtifactStore,
    *,
    fps: int,
    width: int,
    height: int,
    i2v=None,
    settings=None,
    cancel: CancelToken | None = None,
    on_progress: Callable[[float], None] | None = None,
    on_item: Callable[[Clip], None] | None = None,
    timeout: float = 1800.0,
) -> tuple[list[Clip], list[str]]:
    check_inputs(specs, fps)
    clips, warnings = [], []
    animated = [spec for spec in specs if spec.motion == "i2v"] if i2v is not None else []
    if animated:  # a prompt the video model's text window cuts (T5, UMT5) is named
        readings = i2v.read_prompts([i2v_prompt(spec) for spec in animated])
        warnings += [
            cut_warning(spec.scene_id, "video", reading.dropped, i2v.text_window)
            for spec, reading in zip(animated, readings, strict=True)
            if reading.dropped
        ]
    for index, spec in enumerate(specs):
        if cancel:
            cancel.raise_if_cancelled(boundary=True)
        motion = spec.motion
        if motion == "i2v" and i2v is None:
            warnings.append(f"{spec.scene_id}: no image-to-video model is configured; used a pan/zoom instead")
            motion = "kenburns"
        key = clip_key(spec, motion, fps, (width, height), i2v, settings)
        artifact = store.find(key, ".mp4")
        if artifact is None and motion == "i2v":
            try:
                with store.making(key, ".mp4") as part:
                    animated_clip(spec, part, width, height, fps, i2v, settings, cancel, timeout=timeout)
                artifact = store.path(key, ".mp4")
            except Cancelled:
                raise
            except Exception as error:  # one scene's failure must not fail the render
                logger.warning("i2v failed for {}: {}", spec.scene_id, error)
                warnings.append(f"{spec.scene_id}: image-to-video failed ({type(error).__name__}); used a pan/zoom")
                motion = "kenburns"  # kept under its own key: the next render tries the model again
                key = clip_key(spec, motion, fps, (width, height), i2v, settings)
                artifact = store.find(key, ".mp4")
        if artifact is None:
            with store.making(key, ".mp4") as part:
                still = spec.model_copy(update={"motion": motion})
                still_clip(still, part, width, height, fps, cancel=cancel, timeout=timeout)
            artifact = store.path(key, ".mp4")
        path = store.place(artifact, out_dir / f"{spec.scene_id}.mp4")
        clip = Clip(scene_id=spec.scene_id, clip=path, duration=frame_count(spec.duration, fps) / fps, motion=motion)
        clips.append(clip)
        if on_item:
            on_item(clip)
        if on_progress:
            on_progress((index + 1) / len(specs))
    return clips, warnings


def clip_key(spec: ClipSpec, motion: str, fps: int, size: tuple[int, int], i2v, settings) -> str:
    """Everything a clip's pixels depend on: the keyframe's content, length, size, motion, and for
    image-to-video the prompt, seed, model and the settings of its working size and steps."""
    animated = {}
    if motion == "i2v":
        work = (settings.i2v_frames, settings.i2v_steps, settings.i2v_resolution, settings.i2v_guidance)
        animated = {"prompt": i2v_prompt(spec), "seed": spec.seed, "model": i2v.identity, "work": work}
    frames = frame_count(spec.duration, fps)
    camera = spec.camera if motion != "static" else "static"
    return key_of(
        stage="clip",
        frame=content_key(spec.frame),
        frames=frames,
        fps=fps,
        size=size,
        motion=motion,
        camera=camera,
        **animated,
    )
