"""Render many stories: a folder of .txt files or a JSONL file ({"id", "story", ...options}).

    python scripts/batch_render.py STORIES --out OUT_DIR [render.py options]

Stories whose OUT_DIR/<id>.mp4 exists are skipped; one story's failure does not stop the batch.
Failures are listed at the end and the exit code is 1 when any story failed.
"""

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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


def main(argv: list[str] | None = None) -> int:
    p = parser()
    p.description = __doc__
    args = p.parse_args(argv)
    settings = Settings()
    registry = ModelRegistry(settings)
    failures = []
    with tempfile.TemporaryDirectory() as scratch:
        todo = stories(args.story, Path(scratch))
        with tqdm(todo, unit="story") as bar:
            for name, path in bar:
                out = args.out / f"{name}.mp4"
                if out.is_file():
                    bar.write(f"skip   {name} (already rendered)")
                    continue
                try:
                    render_file(path, out, settings.data_dir / "batch" / name, registry, options_from(args))
                    bar.write(f"done   {name} -> {out}")
                except Exception as error:  # keep going; report every failure at the end
                    failures.append((name, f"{type(error).__name__}: {error}"))
                    bar.write(f"FAILED {name}")
    for name, error in failures:
        print(f"failed: {name}: {error}", file=sys.stderr)
    print(f"{len(todo) - len(failures)} of {len(todo)} stories rendered into {args.out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
