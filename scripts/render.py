"""Render one story to a narrated mp4, without the server.

python scripts/render.py STORY.txt --out OUT.mp4 [--scenes N] [--style S] [--resolution 720p]
    [--fps 24] [--aspect 16:9] [--motion i2v|kenburns|static] [--seed N] [--music] [--no-subtitles]
"""

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tqdm import tqdm

from models.registry import ModelRegistry
from pipelines.render import STAGES, WEIGHTS, ImageOptions, MusicOptions, RenderOptions, VideoOptions, render
from pipelines.storyboard import MAX_STORY_CHARS
from settings import Settings


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("story", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--scenes", type=int)
    p.add_argument("--style", default="cinematic storybook illustration")
    p.add_argument("--resolution", default="720p")
    p.add_argument("--image-resolution")
    p.add_argument("--fps", type=int, default=24)
    p.add_argument("--aspect", default="16:9", choices=["16:9", "9:16", "1:1"])
    p.add_argument("--motion", default="i2v", choices=["i2v", "kenburns", "static"])
    p.add_argument("--transition", default="crossfade")
    p.add_argument("--seed", type=int)
    p.add_argument("--voice")
    p.add_argument("--speed", type=float, default=1.0)
    p.add_argument("--music", action="store_true")
    p.add_argument("--no-subtitles", action="store_true")
    p.add_argument("--work", type=Path, help="task folder for artifacts (default: DATA_DIR/render-<name>)")
    return p


def options_from(args) -> RenderOptions:
    return RenderOptions(
        scene_count=args.scenes,
        style=args.style,
        image=ImageOptions(resolution=args.image_resolution, seed=args.seed),
        video=VideoOptions(fps=args.fps, resolution=args.resolution, motion=args.motion, transition=args.transition),
        voice=args.voice,
        speed=args.speed,
        music=MusicOptions() if args.music else None,
        subtitles=not args.no_subtitles,
        aspect=args.aspect,
    )


def render_file(story_file: Path, out: Path, work: Path, registry, options: RenderOptions, bar=None):
    story = story_file.read_text(encoding="utf-8")
    if len(story) > MAX_STORY_CHARS:
        raise ValueError(f"{story_file.name} is longer than {MAX_STORY_CHARS} characters")
    done = dict.fromkeys(STAGES, 0.0)

    def progress(stage: str, fraction: float) -> None:
        done[stage] = fraction
        if bar is not None:
            bar.set_description(stage)
            bar.n = round(100 * sum(WEIGHTS[s] * done[s] for s in STAGES), 1)
            bar.refresh()

    result = render(story, work, registry, options, on_progress=progress)
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(result.video, out)
    if result.subtitles:
        shutil.copyfile(result.subtitles, out.with_suffix(".srt"))
    return result


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = Settings()
    registry = ModelRegistry(settings)
    work = args.work or settings.data_dir / f"render-{args.story.stem}"
    try:
        with tqdm(total=100, unit="%", bar_format="{desc:10s} {bar} {n:.0f}% {elapsed}") as bar:
            result = render_file(args.story, args.out, work, registry, options_from(args), bar)
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for warning in result.warnings:
        print(f"warning: {warning}")
    print(f"{args.out} ({result.duration:.2f}s, {len(result.clips)} scenes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
