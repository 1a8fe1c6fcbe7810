"""Real-time factor of Kokoro-82M on this machine: seconds of compute per second of speech.

    python scripts/bench_kokoro.py [--size tiny|real|both] [--runs 3] [--threads N] [--out DIR]

`tiny` is weights/tiny/tts-kokoro; `real` is a random-weight Kokoro at the real model's sizes (82M
parameters, built offline into --out, default a temporary folder): the same work per second of
speech as the real checkpoint, whose trained durations only change how many seconds a text lasts.
Prints one JSON line per size and language; RTF below 1 is faster than real time.
"""

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import tiny_kokoro  # noqa: E402
import torch  # noqa: E402

from models.device import placement_from  # noqa: E402
from models.kokoro import KokoroRuntime  # noqa: E402
from settings import Settings  # noqa: E402

TEXTS = {
    "en": "The keeper climbed the stairs of the lighthouse, and the fox watched the moon rise over the sea.",
    "zh": "很久以前，在一片古老的竹林边，住着一只名叫阿青的小狐狸。",
}


def measure(runtime: KokoroRuntime, language: str, runs: int) -> dict:
    runtime.synthesize(TEXTS[language], None, language)  # first call: the G2P and caches
    spent, spoken = 0.0, 0.0
    for _ in range(runs):
        started = time.perf_counter()
        speech = runtime.synthesize(TEXTS[language], None, language)
        spent += time.perf_counter() - started
        spoken += speech.seconds
    return {"language": language, "runs": runs, "speech_s": round(spoken / runs, 2), "rtf": round(spent / spoken, 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=("tiny", "real", "both"), default="both")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--out", type=Path, help="where the real-size random model is built (kept)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    placement = placement_from(Settings(device="cpu"))
    with tempfile.TemporaryDirectory() as tmp:
        folders = {}
        if args.size in ("tiny", "both"):
            folders["tiny"] = ROOT / "weights" / "tiny" / "tts-kokoro"
        if args.size in ("real", "both"):
            folders["real"] = args.out or Path(tmp) / "tts-kokoro"
            if not (folders["real"] / "config.json").is_file():
                tiny_kokoro.build(folders["real"], real_size=True)
        for size, folder in folders.items():
            runtime = KokoroRuntime(folder, placement)
            for language in TEXTS:
                row = {"size": size, "parameters": runtime.parameters, **measure(runtime, language, args.runs)}
                row.update(threads=args.threads, cpu=platform.processor() or platform.machine())
                print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
