"""Render many stories: a folder of .txt files or a JSONL file ({"id", "story", ...options}).

    python scripts/batch_render.py STORIES --out OUT_DIR [render.py options]
    python scripts/batch_render.py STORIES --out OUT_DIR --server http://HOST:8000 [--api-key KEY] [...]

Without --server the models load in this process and stories render one after another; with it,
every story goes to that server's queue (on a Ray cluster, as many render at once as it has
render slots) and the videos are downloaded as they finish.
Stories whose OUT_DIR/<id>.mp4 exists are skipped; one story's failure does not stop the batch.
Failures are listed at the end and the exit code is 1 when any story failed.
"""

import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import batch_client
from render import options_from, parser, render_file
from tqdm import tqdm

from models.registry import ModelRegistry
from settings import Settings


def stories(source: Path, scratch: Path) -> list[tuple[str, Path]]:
    if source.is_dir():
        return [(path.stem, path) for path in sorted(source.glob("*.txt"))]
    found = []
    for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        item = json.loads(line)
        name = str(item.get("id") or f"story-{number}")
        path = scratch / f"{name}.txt"
        path.write_text(str(item["story"]), encoding="utf-8")
        found.append((name, path))
    return found


def render_here(todo: list[tuple[str, Path]], args) -> list[tuple[str, str]]:
    settings = Settings()
    registry = ModelRegistry(settings)
    failures = []
    with tqdm(todo, unit="story") as bar:
        for name, path in bar:
            try:
                render_file(
                    path, args.out / f"{name}.mp4", settings.data_dir / "batch" / name, registry, options_from(args)
                )
                bar.write(f"done   {name} -> {args.out / f'{name}.mp4'}")
            except Exception as error:  # keep going; report every failure at the end
                failures.append((name, f"{type(error).__name__}: {error}"))
                bar.write(f"FAILED {name}")
    return failures


def main(argv: list[str] | None = None) -> int:
    p = parser()
    p.description = __doc__
    p.add_argument("--server", help="a running server's URL: render there instead of in this process")
    p.add_argument("--api-key", default=os.environ.get("S2V_API_KEY"))
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        todo = []
        for name, path in stories(args.story, Path(scratch)):
            if (args.out / f"{name}.mp4").is_file():
                print(f"skip   {name} (already rendered)")
            else:
                todo.append((name, path))
        failures = batch_client.main(args, todo) if args.server else render_here(todo, args)
    for name, error in failures:
        print(f"failed: {name}: {error}", file=sys.stderr)
    print(f"{len(todo) - len(failures)} of {len(todo)} stories rendered into {args.out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
