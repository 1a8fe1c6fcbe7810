"""Composition benchmark: one timeline composed three ways, side by side in one run.

python scripts/bench_compose.py [--scenes 10] [--seconds 6] [--size 1280x720] [--fps 24]

The timeline: N scenes of S seconds (pan/zoom clips), crossfades, a narration line per scene
(espeak-ng), a music bed, burned-in subtitles. Composed by
  ours     pipelines.compose: segments (bodies and xfade joints, each with its libass subtitles)
           encoded in parallel and joined with -c copy, one audio pass (amix + sidechain ducking)
  moviepy  the way MoviePy-based generators do it: CompositeVideoClip with CrossFadeIn, TextClip
           subtitles, CompositeAudioClip with the music turned down, write_videofile
  floor    one bare ffmpeg re-encode of our output (its frames and its audio) with the same
           encoder settings and no filters: what decoding and encoding alone cost
  edit     ours again right after `ours`, with one scene's clip changed (another camera move): only
           that scene's body and its two joints are encoded, the rest comes from the segment store
  narration  ours again with one scene's narration changed (another line, the scene as long): the
           segments that show its subtitle and its sound's stem are made, the rest is kept
Each runs in its own process, in `--rounds` interleaved rounds (medians reported); time and the
peak RSS of its process tree (ffmpeg included) are measured. Then the seams: every frame of our
output and of one single-pass encode of the same frames (same settings) against a lossless
rendering of them (PSNR), the mean over all frames and the worst frame within 12 of a join.
Prints a table with moviepy/ours, ours/floor, edit/ours and the seams; writes
data/bench/compose.json.
MoviePy comes from requirements-bench.txt (scripts/bench.sh installs it).
"""

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import soundfile
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines import ffmpeg  # noqa: E402
from pipelines.artifact_store import ArtifactStore  # noqa: E402
from pipelines.clips import make_clips  # noqa: E402
from pipelines.compose import TimelineScene, compose, film_cues, frame_plan, segment_jobs, timeline  # noqa: E402
from pipelines.fonts import find_font  # noqa: E402
from pipelines.narration import make_narration  # noqa: E402
from pipelines.segments import ENCODER, Encoder  # noqa: E402
from pipelines.soundtrack import MusicBed  # noqa: E402
from pipelines.specs import ClipSpec, Line  # noqa: E402
from pipelines.subtitles import lines_of  # noqa: E402
from pipelines.text import sentences  # noqa: E402

CRF, PRESET, AUDIO_RATE = "20", "veryfast", "160k"  # the encoder settings of pipelines.segments
VARIANTS = ("ours", "edit", "narration", "floor", "moviepy")
LOSSLESS = ("-c:v", "libx264", "-preset", "veryfast", "-qp", "0", "-pix_fmt", "yuv420p")
NEAR_JOIN = 12  # frames either side of a join where a seam would show
TRANSITION = 0.5
STORY = ROOT / "samples" / "lighthouse.en.txt"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenes", type=int, default=12)
    p.add_argument("--seconds", type=float, default=6.0)
    p.add_argument("--size", default="1280x720")
    p.add_argument("--fps", type=int, default=24)
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the median of each is reported")
    p.add_argument("--work", type=Path, default=ROOT / "data" / "bench" / "compose")
    p.add_argument("--run", choices=VARIANTS, help=argparse.SUPPRESS)  # one variant, in a child
    return p


# --- the shared timeline (built once, reused across runs)


def keyframe(index: int, width: int, height: int) -> Image.Image:
    hue = np.linspace(0, 1, width)[None, :, None]
    rows = np.linspace(0, 1, height)[:, None, None]
    base = np.array([(index * 37) % 255, (index * 91) % 255, (index * 53) % 255]) / 255
    pixels = (255 * np.clip(0.6 * base + 0.4 * hue * rows, 0, 1)).astype(np.uint8).repeat(1, axis=2)
    image = Image.fromarray(np.broadcast_to(pixels, (height, width, 3)).copy())
    draw = ImageDraw.Draw(image)
    for k in range(12):  # detail, so the encoder has real work
        x, y = (k * 173 + index * 61) % width, (k * 97 + index * 29) % height
        draw.ellipse((x, y, x + width // 8, y + height // 8), outline=(255, 255, 255), width=4)
    return image


def music_track(path: Path, seconds: float = 20.0, rate: int = 48000) -> None:
    t = np.arange(int(seconds * rate)) / rate
    chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6)) / 3
    soundfile.write(path, (0.3 * chord * (0.6 + 0.4 * np.sin(2 * np.pi * 0.25 * t))).astype(np.float32), rate)


def build_timeline(args) -> dict:
    """Clips, narration and music on disk, plus the plan every variant follows."""
    from models.tts import EspeakRuntime

    width, height = (int(v) for v in args.size.split("x"))
    work = args.work
    (work / "frames").mkdir(parents=True, exist_ok=True)
    lines = sentences(STORY.read_text(encoding="utf-8"), 160)
    texts = [lines[i % len(lines)] for i in range(args.scenes)]
    specs = []
    for i in range(args.scenes):
        frame = work / "frames" / f"s{i + 1}.png"
        if not frame.is_file():
            keyframe(i, width, height).save(frame)
        camera = ("push_in", "pan_right", "pull_out", "pan_left")[i % 4]
        specs.append(
            ClipSpec(scene_id=f"s{i + 1}", frame=frame, duration=args.seconds, motion="kenburns", camera=camera)
        )
    store = ArtifactStore(work / "artifacts")
    clips, _ = make_clips(specs, work / "clips", store, fps=args.fps, width=width, height=height)
    edited = args.scenes // 2  # the scene the edit run changes: another camera move, so another clip
    spec = specs[edited].model_copy(update={"camera": "tilt_up", "scene_id": f"s{edited + 1}-edited"})
    (edit_clip,), _ = make_clips([spec], work / "clips", store, fps=args.fps, width=width, height=height)
    voice = EspeakRuntime()
    voice.identity = "espeak-ng"  # what the model registry sets on the runtimes it loads
    lines = [Line(scene_id=f"s{i + 1}", text=t) for i, t in enumerate(texts)]
    audios = make_narration(lines, work / "audio", voice, store, language="en")
    retold = texts[(edited + 1) % len(texts)]  # the edit's line: another sentence of the story
    (narrated,) = make_narration(
        [Line(scene_id=f"s{edited + 1}-narrated", text=retold)], work / "audio", voice, store, language="en"
    )
    music = work / "music.wav"
    if not music.is_file():
        music_track(music)
    scenes = [
        TimelineScene(c.clip, c.duration, "crossfade", a.audio, min(a.duration, args.seconds - TRANSITION), t, a.cues)
        for c, a, t in zip(clips, audios, texts, strict=True)
    ]
    starts, _, total = timeline(scenes, TRANSITION)
    return {
        "width": width,
        "height": height,
        "fps": args.fps,
        "total": total,
        "music": str(music),
        "font": str(find_font().file),
        "edit": {"scene": edited, "clip": str(edit_clip.clip)},
        "narration": {
            "scene": edited,
            "audio": str(narrated.audio),
            "speech": min(narrated.duration, args.seconds - TRANSITION),
            "text": retold,
            "cues": narrated.cues,
        },
        "scenes": [
            {
                "clip": str(s.clip),
                "duration": s.duration,
                "audio": str(s.audio),
                "speech": s.speech_seconds,
                "text": s.text,
                "cues": s.cues,
                "start": start,
            }
            for s, start in zip(scenes, starts, strict=True)
        ],
    }


# --- the three variants


def plan_scenes(plan: dict) -> list[TimelineScene]:
    return [
        TimelineScene(Path(s["clip"]), s["duration"], "crossfade", Path(s["audio"]), s["speech"], s["text"], s["cues"])
        for s in plan["scenes"]
    ]


def run_ours(plan: dict, out: Path, store: ArtifactStore, scenes: list[TimelineScene] | None = None) -> list[str]:
    """The segments it encoded."""
    return compose(
        scenes or plan_scenes(plan),
        out,
        width=plan["width"],
        height=plan["height"],
        fps=plan["fps"],
        transition_seconds=TRANSITION,
        music=MusicBed(Path(plan["music"])),
        subtitles="burn",
        font=find_font(),
        store=store,
    ).encoded


def run_edit(plan: dict, out: Path, store: ArtifactStore) -> list[str]:
    scenes = plan_scenes(plan)
    scenes[plan["edit"]["scene"]].clip = Path(plan["edit"]["clip"])
    return run_ours(plan, out, store, scenes)


def run_narration(plan: dict, out: Path, store: ArtifactStore) -> list[str]:
    scenes, edit = plan_scenes(plan), plan["narration"]
    scene = scenes[edit["scene"]]
    scene.audio, scene.speech_seconds = Path(edit["audio"]), edit["speech"]
    scene.text, scene.cues = edit["text"], edit["cues"]
    return run_ours(plan, out, store, scenes)


def run_moviepy(plan: dict, out: Path) -> None:
    """Written the way MoviePy-based story/short-video generators compose (MoviePy 2 API)."""
    from moviepy import AudioFileClip, CompositeAudioClip, CompositeVideoClip, TextClip, VideoFileClip, afx, vfx

    width, height, total = plan["width"], plan["height"], plan["total"]
    layers, voices = [], []
    for i, scene in enumerate(plan["scenes"]):
        clip = VideoFileClip(scene["clip"], audio=False).with_start(scene["start"])
        if i > 0:
            clip = clip.with_effects([vfx.CrossFadeIn(TRANSITION)])
        layers.append(clip)
        voices.append(AudioFileClip(scene["audio"]).with_start(scene["start"]))
        caption = "\n".join(lines_of(scene["text"]))
        subtitle = TextClip(
            font=plan["font"],
            text=caption,
            font_size=round(height * 0.055),
            color="white",
            stroke_color="black",
            stroke_width=2,
            method="label",
        )
        layers.append(
            subtitle.with_start(scene["start"])
            .with_duration(max(scene["speech"], 0.5))
            .with_position(("center", height - subtitle.h - round(height * 0.06)))
        )
    music = AudioFileClip(plan["music"]).with_effects([afx.AudioLoop(duration=total), afx.MultiplyVolume(0.25)])
    video = CompositeVideoClip(layers, size=(width, height)).with_duration(total)
    video = video.with_audio(CompositeAudioClip([music, *voices]).with_duration(total))
    video.write_videofile(
        str(out),
        fps=plan["fps"],
        codec="libx264",
        preset=PRESET,
        audio_codec="aac",
        audio_bitrate=AUDIO_RATE,
        ffmpeg_params=["-crf", CRF, "-pix_fmt", "yuv420p"],
        logger=None,
    )


def run_floor(plan: dict, out: Path, source: Path) -> None:
    ffmpeg.run(
        [
            "-i",
            str(source),
            "-map",
            "0:v",
            "-map",
            "0:a",
            "-c:v",
            "libx264",
            "-preset",
            PRESET,
            "-crf",
            CRF,
            "-pix_fmt",
            "yuv420p",
            "-r",
            str(plan["fps"]),
            "-c:a",
            "aac",
            "-b:a",
            AUDIO_RATE,
            str(out),
        ]
    )


# --- seams


def psnr_per_frame(encoded: Path, reference: Path, work: Path) -> list[float]:
    stats = work / f"{encoded.stem}.psnr.txt"
    ffmpeg.run(
        ["-i", str(encoded), "-i", str(reference), "-lavfi", f"psnr=stats_file={stats.name}", "-f", "null", "-"],
        cwd=work,
    )
    values = []
    for line in stats.read_text().splitlines():
        value = dict(part.split(":", 1) for part in line.split())["psnr_avg"]
        values.append(100.0 if value == "inf" else float(value))  # identical frames: capped
    return values


def seams(plan: dict, work: Path) -> dict:
    """Ours and a single-pass encode of the same frames, each frame against a lossless rendering."""
    scenes, fps = plan_scenes(plan), plan["fps"]
    starts, frames, tails, _ = frame_plan(scenes, TRANSITION, fps)
    store = ArtifactStore(work / "lossless-store")
    lossless = Encoder(
        store, width=plan["width"], height=plan["height"], fps=fps, font=find_font(), timeout=1800, codec=LOSSLESS
    )
    jobs = segment_jobs(scenes, frames, tails, film_cues(scenes, starts), lossless)
    files, _ = lossless.encode_all(jobs)
    listing = work / "lossless.txt"
    listing.write_text("".join(f"file '{f.resolve()}'\n" for f in files))
    reference, single = work / "lossless.mkv", work / "single.mp4"
    ffmpeg.run(["-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", str(reference)])
    ffmpeg.run(["-i", str(reference), *ENCODER, "-r", str(fps), str(single)])
    joins = [job.segment.start for job in jobs[1:]]
    near = {f for j in joins for f in range(j - NEAR_JOIN, j + NEAR_JOIN)}
    report = {}
    for name, path in (("segmented", work / "ours.mp4"), ("single_pass", single)):
        values = psnr_per_frame(path, reference, work)
        report[name] = {
            "frames": len(values),
            "mean_db": round(sum(values) / len(values), 2),
            "worst_near_join_db": round(min(v for i, v in enumerate(values) if i in near), 2),
        }
    report["joins"] = len(joins)
    return report


# --- measuring


def measure(variant: str, args) -> dict:
    """Run one variant in a child process; wall seconds and the peak RSS of its whole process tree."""
    command = [sys.executable, __file__, "--run", variant, "--work", str(args.work)]
    started = time.perf_counter()
    child = subprocess.Popen(command)
    root, peak = psutil.Process(child.pid), 0
    while child.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.02)
    wall = time.perf_counter() - started
    if child.returncode != 0:
        sys.exit(f"{variant} failed with exit code {child.returncode}")
    info = ffmpeg.probe(args.work / f"{variant}.mp4")
    return {
        # the composition itself; the child's interpreter start and imports (the same for all three,
        # and paid once per server, not per video) are in `process_seconds` only
        "seconds": round(float((args.work / f"{variant}.seconds").read_text()), 2),
        "encoded": json.loads((args.work / f"{variant}.encoded").read_text()),
        "process_seconds": round(wall, 2),
        "peak_rss_mb": round(peak / 2**20, 1),
        "frames": info.frames,
        "duration": round(info.duration, 2),
    }


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    args.work = args.work.resolve()  # ffmpeg runs in other folders: paths in the plan must be absolute
    plan_file = args.work / "plan.json"
    if args.run:
        plan = json.loads(plan_file.read_text())
        out = args.work / f"{args.run}.mp4"
        out.unlink(missing_ok=True)
        store = ArtifactStore(args.work / "segment-store")
        if args.run == "ours":  # a full composition: nothing kept from an earlier run
            shutil.rmtree(store.base, ignore_errors=True)
        started = time.perf_counter()
        encoded = []
        if args.run == "ours":
            encoded = run_ours(plan, out, store)
        elif args.run == "edit":
            encoded = run_edit(plan, out, store)
        elif args.run == "narration":
            encoded = run_narration(plan, out, store)
        elif args.run == "moviepy":
            run_moviepy(plan, out)
        else:
            run_floor(plan, out, args.work / "ours.mp4")
        (args.work / f"{args.run}.seconds").write_text(str(time.perf_counter() - started))
        (args.work / f"{args.run}.encoded").write_text(json.dumps(encoded))
        return 0
    print(f"building the timeline: {args.scenes} scenes x {args.seconds:g} s at {args.size}, {args.fps} fps")
    plan = build_timeline(args)
    plan_file.write_text(json.dumps(plan))
    # Rounds interleave the variants, so a burst of load on this shared machine hits all three alike.
    rounds = [{variant: measure(variant, args) for variant in VARIANTS} for _ in range(args.rounds)]
    results = {}
    for variant in VARIANTS:
        runs = sorted((r[variant] for r in rounds), key=lambda r: r["seconds"])
        results[variant] = {**runs[len(runs) // 2], "all_seconds": [r["seconds"] for r in runs]}
    ours = results["ours"]["seconds"]
    report = {
        "timeline": {k: plan[k] for k in ("width", "height", "fps", "total")} | {"scenes": len(plan["scenes"])},
        "results": results,
        "moviepy_over_ours": round(results["moviepy"]["seconds"] / ours, 2),
        "ours_over_floor": round(ours / results["floor"]["seconds"], 2),
        "edit_over_ours": round(results["edit"]["seconds"] / ours, 3),
        "narration_over_ours": round(results["narration"]["seconds"] / ours, 3),
        "seams": seams(plan, args.work),
    }
    print(f"\n{'variant':<9} {'seconds':>8} {'with start-up':>14} {'peak RSS MB':>12} {'frames':>7} {'duration':>9}")
    for variant, r in results.items():
        print(
            f"{variant:<9} {r['seconds']:>8.2f} {r['process_seconds']:>14.2f} {r['peak_rss_mb']:>12.1f} "
            f"{r['frames']:>7} {r['duration']:>9.2f}"
        )
    print(f"\nmoviepy / ours = {report['moviepy_over_ours']}x   (target >= 6)")
    print(f"ours / floor   = {report['ours_over_floor']}x   (target <= 1.15)")
    edit = f"{report['edit_over_ours']:.1%}"
    print(f"edit / ours    = {edit}   (target <= 20 %), segments encoded: {results['edit']['encoded']}")
    narration = f"{report['narration_over_ours']:.1%}"
    print(f"narration edit / ours = {narration}   (target <= 15 %), made: {results['narration']['encoded']}")
    for name in ("segmented", "single_pass"):
        r = report["seams"][name]
        worst = r["worst_near_join_db"]
        print(f"PSNR {name:<12} mean {r['mean_db']:.2f} dB, worst within {NEAR_JOIN} frames of a join {worst:.2f} dB")
    out = ROOT / "data" / "bench" / "compose.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
