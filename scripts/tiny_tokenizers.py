"""The tokenizers the tiny and the real-size weight builders share: small ones trained here,
offline, on a corpus of the words the tests use (prompt lengths are padded to the real maximum
anyway, so the real-size models take them too)."""

import json
import os
import tempfile
from pathlib import Path

# Both builders run offline: set before either imports transformers.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

CORPUS = (
    "Once upon a time a fox looked at the moon. The keeper climbed the stairs of the lighthouse. "
    "cinematic, soft light, detailed, watercolor, portrait, landscape, storm, night, forest, "
    "很久以前，在一片古老的竹林边，住着一只名叫阿青的小狐狸。她相信月亮上住着一位会讲故事的老婆婆。"
    '{"scenes": [{"title": "", "prompt": "", "bgm": "calm piano"}], "characters": []} 0123456789'
)
CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def chat_tokenizer():
    """A byte-level BPE trained on CORPUS, with Qwen's special tokens and ChatML template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    bpe.train_from_iterator([CORPUS] * 4, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=bpe, eos_token="<|im_end|>", pad_token="<|endoftext|>", chat_template=CHATML
    )


def clip_tokenizer(out: Path) -> None:
    """A byte-level CLIP BPE with no merges: every byte is one token, as CLIP's own tokenizer spells."""
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import CLIPTokenizer

    chars = sorted(ByteLevel.alphabet())
    vocab = {c: i for i, c in enumerate(chars)}
    vocab.update({c + "</w>": i + len(chars) for i, c in enumerate(chars)})
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "vocab.json").write_text(json.dumps(vocab))
        (Path(tmp) / "merges.txt").write_text("#version: 0.2\n")
        tokenizer = CLIPTokenizer(str(Path(tmp) / "vocab.json"), str(Path(tmp) / "merges.txt"), model_max_length=77)
        tokenizer.save_pretrained(out)


def t5_tokenizer(out: Path) -> None:
    """A unigram SentencePiece trained on CORPUS, as T5's (LTX-Video) and UMT5's (Wan) tokenizers are."""
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2
    from transformers import T5Tokenizer

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.txt"
        corpus.write_text("\n".join(CORPUS.split(". ")))
        spm.SentencePieceTrainer.train(
            input=str(corpus),
            model_prefix=str(Path(tmp) / "spiece"),
            vocab_size=150,
            model_type="unigram",
            character_coverage=1.0,
            pad_id=0,
            eos_id=1,
            unk_id=2,
            bos_id=-1,
            hard_vocab_limit=False,
            minloglevel=2,
        )
        model = Path(tmp) / "spiece.model"
        pieces = spm.SentencePieceProcessor(model_file=str(model))
        normalizer = sentencepiece_model_pb2.ModelProto.FromString(model.read_bytes()).normalizer_spec
        # transformers 5 builds T5's tokenizer from a vocabulary and a normaliser (a model file alone
        # gives one that spells every word as <unk>, and every prompt reads the same).
        T5Tokenizer(
            vocab=[(pieces.id_to_piece(i), pieces.get_score(i)) for i in range(pieces.get_piece_size())],
            _spm_precompiled_charsmap=normalizer.precompiled_charsmap,
            extra_ids=0,
        ).save_pretrained(out)
