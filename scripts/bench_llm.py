"""Per-token decode overhead of the LLM runtime: the loop before (the one this project had until
issue 24, kept here as `reference_tokens`) and after (models/decoding.py, each mode), side by side.

    python scripts/bench_llm.py [--weights weights/tiny] [--modes eager static] [--tokens 300] [--repeats 3]
                                [--storyboard 12]

Per token = (a whole decoding call minus a bare eager forward pass over its prompt) / its tokens;
overhead = per token minus a bare forward pass of one token (eager, over a dynamic KV cache as long
as the call's mean): what the loop adds around the model (the grammar, the mask, picking the
token, copies). A mode that runs a faster forward pass (a compiled one) can have a negative
overhead. On CPU the time is the calling thread's CPU time (torch runs on that one thread,
`--threads 1`), which other work on a shared machine moves far less than wall time; wall time is
recorded beside it. On CUDA it is wall time, synchronised. Runs are interleaved; each figure is
the least of `--repeats` (the run other work disturbed least: the work itself does not vary).
Prints a table with ratios and writes the rows to `--out` as JSON.

`--storyboard N` also times a whole N-scene storyboard in the auto mode (its scenes streamed as
the LLM writes them): when the first scene was told, and the whole storyboard's time.
"""

import argparse
import contextlib
import json
import os
import platform
import sys
import time
from datetime import date
from pathlib import Path

import llguidance
import llguidance.torch
import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.decoding import Decoder, resolve_mode  # noqa: E402
from models.device import placement_from  # noqa: E402
from models.errors import ModelError  # noqa: E402
from models.llm import LLMRuntime  # noqa: E402
from pipelines.storyboard import llm_messages, make_storyboard, schema  # noqa: E402
from settings import Settings  # noqa: E402

STORY_LINES = [
    "The keeper climbed the stairs at dusk and lit the lamp.",
    "A small boat fought the waves beyond the rocks.",
    "The light swept the water and found the boat.",
]


@torch.inference_mode()
def reference_tokens(runtime: LLMRuntime, messages: list[dict], json_schema: dict | None, max_new_tokens: int):
    """The loop before issue 24: a dynamic cache, the grammar's mask unpacked on the host per token.
    The oracle the new loop's tokens are compared with (tests/models/test_decoding.py)."""
    device = runtime.placement.device
    input_ids, past, out = runtime._prompt_ids(messages), None, []
    eos = runtime.decoder.eos
    matcher = None
    if json_schema is not None:
        grammar = llguidance.LLMatcher.grammar_from_json_schema(json_schema, defaults={"whitespace_flexible": False})
        matcher = llguidance.LLMatcher(runtime._lltokenizer, grammar)
        mask = llguidance.torch.allocate_token_bitmask(1, runtime._lltokenizer.vocab_size)
    for _ in range(max_new_tokens):
        result = runtime.model(input_ids=input_ids, past_key_values=past, use_cache=True)
        past = result.past_key_values
        logits = result.logits[0, -1].float()
        if matcher is not None:
            if matcher.is_stopped():
                break
            llguidance.torch.fill_next_token_bitmask(matcher, mask)
            allowed = np.unpackbits(mask[0].numpy().view(np.uint8), bitorder="little")[: logits.shape[-1]]
            logits = logits.masked_fill(torch.from_numpy(allowed == 0).to(logits.device), float("-inf"))
        token = int(logits.argmax())
        if matcher is not None and not matcher.consume_token(token):
            raise RuntimeError(matcher.get_error())
        if token in eos:
            break
        out.append(token)
        input_ids = torch.tensor([[token]], device=device)
    return out


class Clock:
    """Milliseconds of wall time and of this thread's CPU time; `cost` is the one the bench compares."""

    def __init__(self, device: str):
        self.cuda = device == "cuda"

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.thread_time()
        return self

    def __exit__(self, *exc):
        if self.cuda:
            torch.cuda.synchronize()
        self.wall = (time.perf_counter() - self.wall) * 1000
        self.cpu = (time.thread_time() - self.cpu) * 1000

    @property
    def cost(self) -> float:
        return self.wall if self.cuda else self.cpu


@torch.inference_mode()
def bare_passes(runtime: LLMRuntime, prompt: torch.Tensor, mean_length: int, count: int = 50) -> tuple[Clock, Clock]:
    """Bare eager forward passes over a dynamic cache: the prompt's (its clock), and one token's over
    a cache of the call's mean length (the clock of `count` of them)."""
    device = runtime.placement.device
    with Clock(device) as prefill:
        runtime.model(input_ids=prompt, use_cache=True)
    ids = torch.randint(0, runtime.tokenizer.vocab_size, (1, prompt.shape[1] + mean_length), device=device)
    past = runtime.model(input_ids=ids, use_cache=True).past_key_values
    token = torch.tensor([[1]], device=device)
    with Clock(device) as steps:
        for _ in range(count):
            runtime.model(input_ids=token, past_key_values=past, use_cache=True)
            past.crop(-1)  # the same length every time
    return prefill, steps


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", type=Path, default=ROOT / "weights" / "tiny")
    p.add_argument("--modes", nargs="+", default=["eager", "static"], choices=["eager", "static", "compiled"])
    p.add_argument("--tokens", type=int, default=300, help="tokens per call")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=max((os.cpu_count() or 1) - 1, 1), help="as the server sets")
    p.add_argument("--storyboard", type=int, default=0, help="also time an N-scene storyboard, streamed")
    p.add_argument("--out", type=Path, default=ROOT / "data" / "bench" / "llm.json")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    settings = Settings(weights_dir=args.weights.resolve())
    runtime = LLMRuntime(settings.role_path("llm"), placement_from(settings), decode="eager")
    messages = llm_messages(STORY_LINES, "watercolor")
    constrained = schema(len(STORY_LINES))
    device, eos = runtime.placement.device, runtime.decoder.eos
    decoders = {mode: Decoder(runtime.model, device, mode, eos) for mode in args.modes}

    def new(mode, json_schema):
        def call() -> int:
            runtime.decoder = decoders[mode]
            if json_schema is None:
                runtime.generate(messages, args.tokens)
            else:
                with contextlib.suppress(ModelError):  # a JSON cut short by the budget: its tokens were made
                    runtime.generate_json(messages, json_schema, args.tokens)
            return runtime.decoder.stats.tokens

        return call

    cases = {}
    for label, json_schema in (("greedy", None), ("JSON schema", constrained)):
        cases[(label, "before")] = lambda s=json_schema: len(reference_tokens(runtime, messages, s, args.tokens))
        for mode in args.modes:
            cases[(label, mode)] = new(mode, json_schema)
    for call in cases.values():  # warm-up (and the compile, for the compiled mode)
        call()
    prompt = runtime._prompt_ids(messages)
    runs: dict[tuple, list[tuple[float, float]]] = {key: [] for key in cases}
    counts: dict[tuple, int] = {}
    bare: list[tuple[float, float]] = []
    for _ in range(args.repeats):  # interleaved: a busy spell on a shared machine hits every case alike
        prefill, steps = bare_passes(runtime, prompt, args.tokens // 2)
        bare.append((steps.cost / 50, steps.wall / 50))
        for key, call in cases.items():
            with Clock(device) as clock:
                counts[key] = call()
            runs[key].append(((clock.cost - prefill.cost) / counts[key], (clock.wall - prefill.wall) / counts[key]))
    step, step_wall = (min(column) for column in zip(*bare, strict=True))
    rows = []
    for (label, way), values in runs.items():
        cost, wall = (min(column) for column in zip(*values, strict=True))
        rows.append(
            {
                "call": label,
                "loop": way,
                "tokens": counts[(label, way)],
                "ms_per_token": round(cost, 3),
                "overhead_ms": round(cost - step, 3),
                "wall_ms_per_token": round(wall, 3),
            }
        )
    kind = "wall" if device == "cuda" else "thread CPU"
    print(f"bare forward pass: {step:.3f} ms {kind} ({step_wall:.3f} wall), {args.threads} thread(s)")
    # A ratio of overheads means nothing when the old one is near zero: the change is given in ms.
    print(f"{'call':12s} {'loop':9s} {'ms/token':>9s} {'overhead':>9s} {'vs before':>10s} {'overhead change':>16s}")
    for row in rows:
        before = next(r for r in rows if r["call"] == row["call"] and r["loop"] == "before")
        row["ms_per_token_ratio"] = round(row["ms_per_token"] / before["ms_per_token"], 3)
        row["overhead_change_ms"] = round(row["overhead_ms"] - before["overhead_ms"], 3)
        print(
            f"{row['call']:12s} {row['loop']:9s} {row['ms_per_token']:9.3f} {row['overhead_ms']:9.3f} "
            f"{row['ms_per_token_ratio']:9.2f}x {row['overhead_change_ms']:+13.3f} ms"
        )
    report = {
        "date": date.today().isoformat(),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "torch": torch.__version__,
        "threads": args.threads,
        "auto_mode": resolve_mode("auto", runtime.placement.device),
        "time": kind,
        "prompt_tokens": prompt.shape[1],
        "bare_forward_ms": round(step, 3),
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.storyboard:
        runtime.decoder = Decoder(runtime.model, device, report["auto_mode"], eos)
        report["storyboard"] = streamed_storyboard(runtime, args.storyboard)
        print(json.dumps(report["storyboard"]))
    args.out.write_text(json.dumps(report, indent=2))
    return 0


def streamed_storyboard(runtime: LLMRuntime, scenes: int) -> dict:
    """When each scene of an N-scene storyboard was told, against the whole storyboard's time."""
    story = " ".join(f"On day {day} the keeper lit the lamp and watched the boats come home." for day in range(scenes))
    told: list[float] = []
    started = time.perf_counter()
    board = make_storyboard(
        story,
        scenes=scenes,
        llm=runtime,
        max_new_tokens=16 * 1024,
        on_scene=lambda scene: told.append(time.perf_counter() - started),
    )
    seconds = time.perf_counter() - started
    return {
        "scenes": scenes,
        "by_llm": not board.warnings,
        "tokens": runtime.decoder.stats.tokens,
        "seconds": round(seconds, 2),
        "first_scene_s": round(told[0], 2),
        "first_scene_share": round(told[0] / seconds, 3),
        "scenes_told_s": [round(t, 2) for t in told],
    }


if __name__ == "__main__":
    sys.exit(main())
