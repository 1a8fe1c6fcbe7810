"""Local LLM: a transformers causal LM with its chat template, and JSON decoding under a schema.

`generate_json` masks every step's logits with llguidance, so the output always parses and
validates against the schema, whatever the model's weights (even random ones). Its text reaches
`on_text` piece by piece as it is written, so a caller can use each finished part at once. The
decoding loop (static KV cache, compiled step, mask on the device) is models/decoding.py.
"""

import codecs
import json
import time
from pathlib import Path

import llguidance
import llguidance.hf
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from models.cancel import CancelToken
from models.contracts import TextHook
from models.decoding import Decoder, Grammar, resolve_mode
from models.device import Placement, parameter_count
from models.errors import ModelError
from models.weights import check_folder


class LLMRuntime:
    role = "llm"

    def __init__(self, folder: Path, placement: Placement, decode: str = "auto", answer_tokens: int = 4096):
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
        eos = set(self.tokenizer.convert_tokens_to_ids([self.tokenizer.eos_token]))
        self.decoder = Decoder(self.model, placement.device, resolve_mode(decode, placement.device), eos, answer_tokens)
        self.load_seconds = time.perf_counter() - started
        self.parameters = parameter_count(self.model)
        self.name = self.model.config.model_type

    def _prompt_ids(self, messages: list[dict]) -> torch.Tensor:
        ids = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_dict=False)
        return torch.tensor([list(ids)], device=self.placement.device)

    def generate(self, messages: list[dict], max_new_tokens: int = 512, cancel: CancelToken | None = None) -> str:
        tokens = self.decoder.decode(self._prompt_ids(messages), max_new_tokens, cancel=cancel)
        return self.tokenizer.decode(tokens, skip_special_tokens=True)

    def generate_json(
        self,
        messages: list[dict],
        schema: dict,
        max_new_tokens: int = 2048,
        cancel: CancelToken | None = None,
        on_text: TextHook | None = None,
    ) -> dict:
        grammar = llguidance.LLMatcher.grammar_from_json_schema(schema, defaults={"whitespace_flexible": False})
        matcher = llguidance.LLMatcher(self._lltokenizer, grammar)
        # The text is the tokens' bytes as the grammar checked them, decoded as they come (a
        # character may span two tokens).
        utf8, pieces = codecs.getincrementaldecoder("utf-8")(), []

        def heard(token: int) -> None:
            piece = utf8.decode(self._lltokenizer.decode_bytes([token]))
            if piece:
                pieces.append(piece)
                if on_text is not None:
                    on_text(piece)

        self.decoder.decode(
            self._prompt_ids(messages),
            max_new_tokens,
            Grammar(matcher, self._lltokenizer.vocab_size, self.placement.device),
            cancel,
            heard,
        )
        if not matcher.is_accepting():
            raise ModelError(f"the LLM did not finish its JSON within {max_new_tokens} tokens")
        return json.loads("".join(pieces) + utf8.decode(b"", final=True))

    def unload(self) -> None:
        del self.model
