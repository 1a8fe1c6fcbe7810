"""Greedy decoding for the LLM runtime: the prompt in one forward pass, then one token per step over
a KV cache, with an optional JSON-schema grammar (llguidance) masking each step's logits.

Three ways to run the steps (`S2V_LLM_DECODE`; auto: compiled on CUDA, eager elsewhere):
- eager: transformers' dynamic KV cache, a plain forward per token;
- static: a KV cache allocated once at a fixed length (transformers' StaticCache), the same
  forward; what the compiled way runs, without the compile;
- compiled: static, with the one-token forward compiled (`torch.compile`; on CUDA in
  "reduce-overhead" mode, i.e. replayed as a CUDA graph: one launch per token, not hundreds).

Whatever the way, the token a step picks stays on the device and is fed straight into the next
forward pass, which is launched before the host has read the token: the host copies it back, advances
the grammar and fills the next mask while the device computes. The mask crosses as packed bits
(vocab/32 int32 words) and is unpacked and applied on the device; the host never touches logits.
"""

import threading
import time
from dataclasses import dataclass

import llguidance
import torch
from loguru import logger
from transformers import DynamicCache, StaticCache

from models.cancel import CancelToken
from models.errors import ModelError

MODES = ("eager", "static", "compiled")
CACHE_BLOCK = 4096  # static caches are sized in blocks of this many tokens: few shapes, few compiles
PROMPT_TOKENS = 4096  # the room a runtime's standard static cache keeps for the prompt, beside the answer


def resolve_mode(setting: str, device: str) -> str:
    """auto: compiled on CUDA; on CPU eager (a compile costs tens of seconds per process there, and the
    eager dynamic cache measured as fast as the static one: docs/benchmarks.md)."""
    if setting != "auto":
        return setting
    return "compiled" if device == "cuda" else "eager"


def cache_length(tokens: int) -> int:
    return -(-tokens // CACHE_BLOCK) * CACHE_BLOCK


def unpacked(words: torch.Tensor, shifts: torch.Tensor, vocab: int) -> torch.Tensor:
    """llguidance's packed mask (bit i of word j allows token 32j + i) as one bool per token, on the
    words' device; `shifts` is arange(32) there."""
    return ((words.unsqueeze(-1) >> shifts) & 1).flatten()[:vocab].bool()


@dataclass
class DecodeStats:
    """What the last call did, for benchmarks and logs."""

    prompt_tokens: int = 0
    tokens: int = 0
    prefill_seconds: float = 0.0
    decode_seconds: float = 0.0


class Grammar:
    """An llguidance matcher and its mask: filled on the host as packed bits, applied on the device."""

    def __init__(self, matcher: llguidance.LLMatcher, vocab: int, device: str):
        # llguidance.torch compiles a kernel when imported (torch's inductor, seconds): only once a grammar is used
        from llguidance import torch as bitmasks

        self.matcher, self.vocab, self.fill = matcher, vocab, bitmasks.fill_next_token_bitmask
        self.host = bitmasks.allocate_token_bitmask(1, vocab)  # pinned when CUDA is present
        self.words = torch.empty(self.host.shape[1], dtype=torch.int32, device=device)
        self.shifts = torch.arange(32, dtype=torch.int32, device=device)

    @property
    def stopped(self) -> bool:
        return self.matcher.is_stopped()

    def advance(self, token: int) -> None:
        if not self.matcher.consume_token(token):
            raise ModelError(f"constrained decoding failed: {self.matcher.get_error()}")

    def upload_mask(self) -> None:
        """The next token's mask, sent to the device. The host buffer is written again only after the
        next token reached the host, and that copy is queued after this upload on the same stream."""
        self.fill(self.matcher, self.host)
        self.words.copy_(self.host[0], non_blocking=True)

    def apply(self, logits: torch.Tensor) -> torch.Tensor:
        return logits.masked_fill(~unpacked(self.words, self.shifts, logits.shape[-1]), float("-inf"))


class Decoder:
    """One model's decoding loop; a lock keeps one call at a time (the static cache is shared)."""

    def __init__(self, model, device: str, mode: str, eos: set[int], answer_tokens: int = 4096):
        if mode not in MODES:
            raise ValueError(f"LLM decode mode must be one of {', '.join(MODES)}")
        self.model, self.device, self.mode, self.eos = model, device, mode, eos
        # One standard cache length, so the warm-up compiles the shape the storyboards use.
        self.standard_length = cache_length(PROMPT_TOKENS + answer_tokens)
        self.stats = DecodeStats()
        self._lock = threading.Lock()
        self._caches: dict[int, StaticCache] = {}
        self._step = model.forward
        self._stepped = False  # a step has run: a later failure is not the compile's
        if mode == "compiled":
            self._step = torch.compile(
                model.forward, mode="reduce-overhead" if device == "cuda" else None, fullgraph=True, dynamic=False
            )

    def _cache(self, tokens: int):
        """The eager mode's growing cache, or a static one that holds `tokens`, reused across calls
        (reset, not reallocated). Either is filled in place by each forward pass."""
        if self.mode == "eager":
            return DynamicCache(config=self.model.config)
        length = max(self.standard_length, cache_length(tokens))
        if length not in self._caches:
            self._caches[length] = StaticCache(config=self.model.config, max_cache_len=length)
        cache = self._caches[length]
        cache.reset()
        return cache

    def _forward(self, ids: torch.Tensor, cache, position: torch.Tensor | None, step: bool):
        """One forward pass: the prompt's (plain: its length varies) or one token's (`step`)."""
        args = {"input_ids": ids, "past_key_values": cache, "cache_position": position, "use_cache": True}
        if not step:
            return self.model.forward(**args, logits_to_keep=1).logits[0, -1].float()
        if self.mode == "compiled" and self.device == "cuda":
            torch.compiler.cudagraph_mark_step_begin()  # the graph's outputs of the last step are consumed
        try:
            out = self._step(**args, logits_to_keep=1)
        except Exception as error:  # a compile that fails (a model or torch it does not handle) fails before running
            if self.mode != "compiled" or self._stepped:
                raise
            logger.warning("LLM decode step did not compile ({}); decoding uncompiled on the static cache", error)
            self.mode, self._step = "static", self.model.forward
            out = self._step(**args, logits_to_keep=1)
        self._stepped = True
        return out.logits[0, -1].float()

    @staticmethod
    def _pick(logits: torch.Tensor, grammar: Grammar | None) -> torch.Tensor:
        if grammar is not None:
            logits = grammar.apply(logits)
        return logits.argmax().view(1, 1)

    @torch.inference_mode()
    def decode(
        self,
        prompt: torch.Tensor,
        max_new_tokens: int,
        grammar: Grammar | None = None,
        cancel: CancelToken | None = None,
        on_token=None,
    ) -> list[int]:
        """Greedy tokens after `prompt` ([1, n] on the device), EOS excluded; `on_token(id)` hears each."""
        with self._lock:
            return self._decode(prompt, max_new_tokens, grammar, cancel, on_token)

    def _decode(self, prompt, max_new_tokens, grammar, cancel, on_token) -> list[int]:
        started = time.perf_counter()
        if max_new_tokens < 1:
            return []
        length = prompt.shape[1]
        cache = self._cache(length + max_new_tokens + 1)
        position = None if self.mode == "eager" else torch.arange(length, device=self.device)
        logits = self._forward(prompt, cache, position, step=False)
        if position is not None:
            position = position[-1:] + 1
        if grammar is not None:
            grammar.upload_mask()
        token = self._pick(logits, grammar)
        if self.device == "cuda":
            torch.cuda.synchronize()  # the prompt's pass is timed apart
        tokens: list[int] = []
        host = torch.empty((1, 1), dtype=torch.long, pin_memory=self.device == "cuda")
        copied = torch.cuda.Event() if self.device == "cuda" else None  # the token reached `host`
        prefilled = time.perf_counter()
        while True:
            if cancel:
                cancel.raise_if_cancelled()
            host.copy_(token, non_blocking=True)
            if copied is not None:
                copied.record()
            last = len(tokens) + 1 >= max_new_tokens
            if not last:  # launched before the host knows the token: the device keeps busy
                logits = self._forward(token, cache, position, step=True)
                if position is not None:
                    position = position + 1
            if copied is not None:
                copied.synchronize()
            picked = int(host[0, 0])
            if grammar is not None:
                grammar.advance(picked)
            if picked in self.eos:
                break
            tokens.append(picked)
            if on_token is not None:
                on_token(picked)
            if last or (grammar is not None and grammar.stopped):
                break
            if grammar is not None:
                grammar.upload_mask()
            token = self._pick(logits, grammar)
        self.stats = DecodeStats(length, len(tokens), prefilled - started, time.perf_counter() - prefilled)
        return tokens
