"""How much of a prompt a text encoder reads, and SDXL's long prompts read whole.

SDXL's two CLIP encoders read 77 tokens at a time: a start token, 75 of the prompt's, an end token.
A longer prompt is cut into windows of 75 tokens, each framed and padded as CLIP expects and
encoded by both encoders, and the windows' hidden states are joined along the sequence (the UNet's
cross-attention reads a sequence of any length). The pooled embedding, SDXL's one global vector, is
the first window's. A prompt and its negative are padded with empty windows to the same count, as
classifier-free guidance runs them in one batch. A prompt of one window is encoded as diffusers'
own `encode_prompt` encodes it, so short prompts draw the pictures they drew before.

The other encoders (T5 in LTX-Video, UMT5 in Wan, the Qwen3 of Z-Image and FLUX.2) read one window
of `max_sequence_length` tokens and drop the rest: `Reading.dropped` counts what is lost.
"""

from typing import NamedTuple

import torch
from diffusers.utils.torch_utils import get_module_execution_device


class Reading(NamedTuple):
    """How a model reads one prompt."""

    windows: int  # windows of its `text_window` tokens it reads the prompt in (0: it reads no text)
    dropped: int  # tokens at the prompt's end it never reads


def one_window(tokenizer, texts: list[str], window: int) -> list[Reading]:
    """Readings of an encoder that reads `window` tokens (as its pipeline tokenizes) and cuts the rest."""
    return [Reading(1, max(0, len(tokenizer(text).input_ids) - window)) for text in texts]


def framed(tokenizer, ids: list[int]) -> list[int]:
    """One CLIP window: start, the ids, end, padding to the encoder's length."""
    body = [tokenizer.bos_token_id, *ids, tokenizer.eos_token_id]
    return body + [tokenizer.pad_token_id] * (tokenizer.model_max_length - len(body))


def clip_windows(tokenizer, text: str) -> list[list[int]]:
    """The prompt's token ids in framed windows; an empty prompt is one empty window."""
    size = tokenizer.model_max_length - 2
    ids = tokenizer(text, add_special_tokens=False).input_ids
    return [framed(tokenizer, ids[at : at + size]) for at in range(0, max(len(ids), 1), size)]


def sdxl_readings(pipe, texts: list[str]) -> list[Reading]:
    return [Reading(window_count(pipe, [text]), 0) for text in texts]


def sdxl_groups(pipe, prompts: list[str], negatives: list[str] | None) -> list[list[int]]:
    """The prompts' indices grouped by their count of windows (a prompt's and its negative's, which
    are padded to one count), in the order of first appearance."""
    groups: dict[int, list[int]] = {}
    for index, prompt in enumerate(prompts):
        texts = [prompt, negatives[index]] if negatives else [prompt]
        groups.setdefault(window_count(pipe, texts), []).append(index)
    return list(groups.values())


def window_count(pipe, texts: list[str]) -> int:
    return max(len(clip_windows(tokenizer, text)) for tokenizer in (pipe.tokenizer, pipe.tokenizer_2) for text in texts)


def sdxl_encode(pipe, texts: list[str], windows: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Hidden states [len(texts), windows * 77, both encoders' widths] and the first windows' pooled
    embeddings [len(texts), width]; a text of fewer windows is padded with empty ones."""
    states, pooled = [], None
    for tokenizer, encoder in ((pipe.tokenizer, pipe.text_encoder), (pipe.tokenizer_2, pipe.text_encoder_2)):
        empty = framed(tokenizer, [])
        ids = []
        for text in texts:
            own = clip_windows(tokenizer, text)
            ids += own + [empty] * (windows - len(own))
        output = encoder(torch.tensor(ids, device=get_module_execution_device(encoder)), output_hidden_states=True)
        hidden = output.hidden_states[-2]  # SDXL reads the penultimate layer of both encoders
        states.append(hidden.reshape(len(texts), windows * hidden.shape[1], hidden.shape[2]))
        if output[0].ndim == 2:  # the second encoder's projection: the pooled embedding
            pooled = output[0].reshape(len(texts), windows, -1)[:, 0]
    return torch.cat(states, dim=-1), pooled


def sdxl_embeddings(pipe, prompts: list[str], negatives: list[str] | None, guided: bool) -> dict:
    """The SDXL pipeline's prompt_embeds, pooled_prompt_embeds and, with guidance, their negatives.
    No negatives: zeros where the checkpoint asks for them (`force_zeros_for_empty_prompt`, as
    diffusers does), else the empty prompt's."""
    windows = window_count(pipe, [*prompts, *(negatives or [])])
    embeds, pooled = sdxl_encode(pipe, prompts, windows)
    arguments = {"prompt_embeds": embeds, "pooled_prompt_embeds": pooled}
    if not guided:
        return arguments
    if negatives is None and pipe.config.force_zeros_for_empty_prompt:
        negative, negative_pooled = torch.zeros_like(embeds), torch.zeros_like(pooled)
    else:
        negative, negative_pooled = sdxl_encode(pipe, negatives or [""] * len(prompts), windows)
    return {**arguments, "negative_prompt_embeds": negative, "negative_pooled_prompt_embeds": negative_pooled}
