"""Local LLM: a transformers causal LM with its chat template, and JSON decoding under a schema.

`generate_json` masks every step's logits with llguidance, so the output always parses and
validates against the schema, whatever the model's weights (even random ones).
"""

import json
import time
from pathlib import Path

import llguidance
import llguidance.hf
import llguidance.torch
import numpy as np
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from models.cancel import CancelToken
from models.device import Placement, parameter_count
from models.errors import ModelError
from models.weights import check_folder


class LLMRuntime:
    role = "llm"

    def __init__(self, folder: Path, placement: Placement):
        check_folder(self.role, folder, "transformers")
        started = time.perf_counter()
        self.folder = folder
        self.placement = placement
        self.tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True, trust_remote_code=False)
        self.model = AutoModelForCausalLM.from_pretrained(
            folder,
            dtype=placement.dtype,
            local_files_only=True,
            trust_remote_code=False,
            use_safetensors=True,
        )
        self.model.to(placement.device).eval()
        # The output layer is often wider than the tokenizer (Qwen3: 151936 rows, 151669 tokens):
        # the grammar's mask must cover every logit, the padding rows included.
        self._lltokenizer = llguidance.hf.from_tokenizer(self.tokenizer, n_vocab=self.model.config.vocab_size)
        self.load_seconds = time.perf_counter() - started
        self.parameters = parameter_count(self.model)
        self.name = self.model.config.model_type

    def _prompt_ids(self, messages: list[dict]) -> torch.Tensor:
        ids = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_dict=False)
        return torch.tensor([list(ids)], device=self.placement.device)

    @torch.inference_mode()
    def _decode(self, messages, max_new_tokens, next_token, cancel: CancelToken | None) -> list[int]:
        """Greedy decoding with a KV cache; `next_token(logits)` picks each token and may stop early."""
        input_ids = self._prompt_ids(messages)
        past = None
        out: list[int] = []
        eos = set(self.tokenizer.convert_tokens_to_ids([self.tokenizer.eos_token]))
        for _ in range(max_new_tokens):
            if cancel:
                cancel.raise_if_cancelled()
            result = self.model(input_ids=input_ids, past_key_values=past, use_cache=True)
            past = result.past_key_values
            token = next_token(result.logits[0, -1].float())
            if token is None or token in eos:
                break
            out.append(token)
            input_ids = torch.tensor([[token]], device=self.placement.device)
        return out

    def generate(self, messages: list[dict], max_new_tokens: int = 512, cancel: CancelToken | None = None) -> str:
        tokens = self._decode(messages, max_new_tokens, lambda logits: int(logits.argmax()), cancel)
        return self.tokenizer.decode(tokens, skip_special_tokens=True)

    def generate_json(
        self, messages: list[dict], schema: dict, max_new_tokens: int = 2048, cancel: CancelToken | None = None
    ) -> dict:
        grammar = llguidance.LLMatcher.grammar_from_json_schema(schema, defaults={"whitespace_flexible": False})
        matcher = llguidance.LLMatcher(self._lltokenizer, grammar)
        mask = llguidance.torch.allocate_token_bitmask(1, self._lltokenizer.vocab_size)

        def constrained(logits: torch.Tensor) -> int | None:
            if matcher.is_stopped():
                return None
            llguidance.torch.fill_next_token_bitmask(matcher, mask)
            # llguidance's own apply kernel goes through torch.compile; unpacking the bits is cheaper.
            allowed = np.unpackbits(mask[0].numpy().view(np.uint8), bitorder="little")[: logits.shape[-1]]
            masked = logits.masked_fill(torch.from_numpy(allowed == 0).to(logits.device), float("-inf"))
            token = int(masked.argmax())
            if not matcher.consume_token(token):
                raise ModelError(f"constrained decoding failed: {matcher.get_error()}")
            return token

        tokens = self._decode(messages, max_new_tokens, constrained, cancel)
        if not matcher.is_accepting():
            raise ModelError(f"the LLM did not finish its JSON within {max_new_tokens} tokens")
        return json.loads(self.tokenizer.decode(tokens, skip_special_tokens=True))

    def unload(self) -> None:
        del self.model
