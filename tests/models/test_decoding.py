"""The decoding loop (models/decoding.py) on the tiny LLM: the same greedy tokens as the loop it
replaced (kept in scripts/bench_llm.py as the oracle), plain and under a JSON schema, in every mode
that runs on CPU; the text streams in pieces that add up to the answer; the mask applied on the
device is the grammar's."""

import json
import os

import llguidance
import numpy as np
import pytest
import torch
from bench_llm import STORY_LINES, reference_tokens  # scripts/ is on the path (tests/conftest.py)

from models.decoding import CACHE_BLOCK, Decoder, Grammar, cache_length, resolve_mode, unpacked
from pipelines.storyboard import llm_messages, schema

TOKENS = 300


@pytest.fixture
def llm(registry):
    """The tiny LLM on the threads the server gives it (ModelRegistry.start: all cores but one)."""
    runtime, threads = registry.get("llm"), torch.get_num_threads()
    decoder = runtime.decoder
    torch.set_num_threads(max((os.cpu_count() or 1) - 1, 1))
    yield runtime
    runtime.decoder = decoder
    torch.set_num_threads(threads)


@pytest.mark.parametrize("mode", ["eager", "static"])
def test_greedy_tokens_are_those_of_the_old_loop(llm, mode):
    messages = llm_messages(STORY_LINES, "watercolor")
    llm.decoder = Decoder(llm.model, "cpu", mode, llm.decoder.eos)
    for json_schema in (None, schema(len(STORY_LINES))):
        before = reference_tokens(llm, messages, json_schema, TOKENS)
        grammar = None
        if json_schema is not None:
            text = llguidance.LLMatcher.grammar_from_json_schema(json_schema, defaults={"whitespace_flexible": False})
            grammar = Grammar(llguidance.LLMatcher(llm._lltokenizer, text), llm._lltokenizer.vocab_size, "cpu")
        after = llm.decoder.decode(llm._prompt_ids(messages), TOKENS, grammar)
        assert len(before) == TOKENS and after == before, (mode, json_schema is not None)
        assert llm.decoder.stats.tokens == TOKENS and llm.decoder.stats.decode_seconds > 0


def test_the_json_streams_in_pieces_that_are_the_answer(llm):
    json_schema = {
        "type": "object",
        "properties": {
            "title": {"type": "string", "maxLength": 30},
            "tags": {"type": "array", "items": {"type": "string", "maxLength": 9}, "maxItems": 3},
        },
        "required": ["title", "tags"],
        "additionalProperties": False,
    }
    messages = [{"role": "user", "content": "a fox and the moon"}]
    pieces: list[str] = []
    answer = llm.generate_json(messages, json_schema, 600, on_text=pieces.append)
    assert len(pieces) > 5 and json.loads("".join(pieces)) == answer
    before = reference_tokens(llm, messages, json_schema, 600)
    assert json.loads(llm.tokenizer.decode(before, skip_special_tokens=True)) == answer


def test_the_mask_unpacked_on_the_device_is_the_grammars():
    vocab = 1000
    words = torch.from_numpy(np.random.default_rng(3).integers(-(2**31), 2**31, 32)).int()
    expected = np.unpackbits(words.numpy().view(np.uint8), bitorder="little")[:vocab].astype(bool)
    assert torch.equal(unpacked(words, torch.arange(32, dtype=torch.int32), vocab), torch.from_numpy(expected))


def test_modes_and_cache_sizes():
    assert resolve_mode("auto", "cuda") == "compiled" and resolve_mode("auto", "cpu") == "eager"
    assert resolve_mode("static", "cpu") == "static"
    assert cache_length(1) == CACHE_BLOCK and cache_length(CACHE_BLOCK + 1) == 2 * CACHE_BLOCK
    with pytest.raises(ValueError, match="decode mode"):
        Decoder(torch.nn.Linear(1, 1), "cpu", "fast", set())


def test_a_step_that_does_not_compile_decodes_uncompiled(llm):
    messages = [{"role": "user", "content": "a fox"}]
    expected = Decoder(llm.model, "cpu", "eager", llm.decoder.eos).decode(llm._prompt_ids(messages), 20)
    decoder = Decoder(llm.model, "cpu", "compiled", llm.decoder.eos)

    def fails(**kwargs):
        raise RuntimeError("backend compiler failed")

    decoder._step = fails
    assert decoder.decode(llm._prompt_ids(messages), 20) == expected
    assert decoder.mode == "static"
