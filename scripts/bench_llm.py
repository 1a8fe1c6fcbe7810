"""Per-token decode overhead of the LLM runtime: the loop before (the one this project had until
issue 24, kept here as `reference_tokens`) and after (models/decoding.py, each mode), side by side.

    python scripts/bench_llm.py [--weights weights/tiny] [--modes eager static] [--tokens 300] [--repeats 3]

Overhead = ms per token of a whole decoding call minus ms of a bare forward pass (one token over a
dynamic KV cache as long as the call's mean, eager): what the loop adds around the model (the
grammar, the mask, picking the token, copies). A mode that runs a faster forward pass (a compiled
one) can have a negative overhead. Runs are interleaved and each figure is the median of
`--repeats`, as other work on a shared machine moves single runs. Prints a table with ratios and
writes the rows to `--out` as JSON.
"""

import argparse
import contextlib
import json
import os
import platform
import statistics
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
from pipelines.storyboard import llm_messages, schema  # noqa: E402
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


@torch.inference_mode()
def bare_forward_ms(runtime: LLMRuntime, prompt_tokens: int, mean_length: int, count: int = 50) -> float:
    """One eager forward pass of one token over a dynamic cache of the call's mean length."""
    ids = torch.randint(0, runtime.tokenizer.vocab_size, (1, prompt_tokens + mean_length))
    past = runtime.model(input_ids=ids.to(runtime.placement.device), use_cache=True).past_key_values
    token = torch.tensor([[1]], device=runtime.placement.device)
    started = time.perf_counter()
    for _ in range(count):
        runtime.model(input_ids=token, past_key_values=past, use_cache=True)
        past.crop(-1)  # the same length every time
    return (time.perf_counter() - started) / count * 1000


def timed(call) -> tuple[float, int]:
    started = time.perf_counter()
    tokens = call()
    return time.perf_counter() - started, tokens


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", type=Path, default=ROOT / "weights" / "tiny")
    p.add_argument("--modes", nargs="+", default=["eager", "static"], choices=["eager", "static", "compiled"])
    p.add_argument("--tokens", type=int, default=300, help="tokens per call")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=max((os.cpu_count() or 1) - 1, 1), help="as the server sets")
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
    runs: dict[tuple, list[float]] = {key: [] for key in cases}
    counts: dict[tuple, int] = {}
    for _ in range(args.repeats):
        for key, call in cases.items():
            seconds, counts[key] = timed(call)
            runs[key].append(seconds * 1000 / counts[key])
    prompt = runtime._prompt_ids(messages).shape[1]
    bare = statistics.median(bare_forward_ms(runtime, prompt, args.tokens // 2) for _ in range(args.repeats))
    rows = []
    for (label, way), values in runs.items():
        per_token = statistics.median(values)
        rows.append({"call": label, "loop": way, "tokens": counts[(label, way)], "ms_per_token": round(per_token, 3)})
        rows[-1]["overhead_ms"] = round(per_token - bare, 3)
    print(f"bare forward pass: {bare:.3f} ms ({args.threads} thread(s), prompt {prompt} tokens)")
    print(f"{'call':12s} {'loop':9s} {'ms/token':>9s} {'overhead':>9s} {'vs before':>10s}")
    for row in rows:
        before = next(r for r in rows if r["call"] == row["call"] and r["loop"] == "before")
        row["ms_per_token_ratio"] = round(row["ms_per_token"] / before["ms_per_token"], 3)
        print(
            f"{row['call']:12s} {row['loop']:9s} {row['ms_per_token']:9.3f} {row['overhead_ms']:9.3f} "
            f"{row['ms_per_token_ratio']:9.2f}x"
        )
    report = {
        "date": date.today().isoformat(),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "torch": torch.__version__,
        "threads": args.threads,
        "auto_mode": resolve_mode("auto", runtime.placement.device),
        "bare_forward_ms": round(bare, 3),
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
