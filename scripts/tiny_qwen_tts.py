"""A random-weight Qwen3-TTS (12 Hz) in the layout of its Hub repositories, offline:

    tts-qwen/custom-voice/     as Qwen/Qwen3-TTS-12Hz-1.7B-CustomVoice: named speakers, styled by an instruction
    tts-qwen/voice-design/     as Qwen/Qwen3-TTS-12Hz-1.7B-VoiceDesign: a voice from a description
    tts-qwen/base/             as Qwen/Qwen3-TTS-12Hz-0.6B-Base: a voice cloned from a reference clip

Each holds config.json, model.safetensors, generation_config.json, the text tokenizer and processor
files, and speech_tokenizer/ (the 12 Hz codec: a Mimi encoder, a code-to-wave decoder, its feature
extractor). `qwen_tts.Qwen3TTSModel.from_pretrained` loads each as it loads the real one.

It imports qwen_tts, which needs transformers 4.57: scripts/make_tiny_weights.py runs it with the
speech worker's environment: `.venv-qwen-tts/bin/python scripts/tiny_qwen_tts.py OUT`.
Tiny: 32-wide transformers, 4 codebooks of 64 codes; the codec's real strides (1920 samples a frame
at 24 kHz), so lengths and rates are the real model's.
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from tiny_tokenizers import CORPUS

SPEAKERS = ("aiden", "serena", "vivian", "ryan")  # the custom-voice model's built-in speakers (its keys: lower case)
LANGUAGES = ("english", "chinese")
CODES = 64  # codes a codebook
GROUPS = 4  # codebooks a frame (the real model: 16)
HIDDEN = 32
LAYERS = {  # the talker's and its code predictor's transformer: one small layer each
    "hidden_size": HIDDEN,
    "intermediate_size": 2 * HIDDEN,
    "num_hidden_layers": 1,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": HIDDEN // 4,
}
SPEECH_DBFS = -23.0  # as the tiny VITS: a recorded voice's level before the loudness pass
HEAD_GAIN = 30.0  # logits of a few units instead of a tenth
TEXT_GAIN = 10.0  # a layer of the text projection, and attention's values and outputs
MAX_FRAMES = 25  # generation_config's cap, and every take's length: 1.92 s at 12.5 frames a second
TTS_TOKENS = ("<tts_pad>", "<tts_text_bos>", "<tts_text_eod>")
# The codec's control ids live above its codes (the talker never samples there but for end-of-speech).
CONTROL = {
    "codec_pad_id": CODES + 0,
    "codec_bos_id": CODES + 1,
    "codec_eos_token_id": CODES + 2,
    "codec_think_id": CODES + 3,
    "codec_nothink_id": CODES + 4,
    "codec_think_bos_id": CODES + 5,
    "codec_think_eos_id": CODES + 6,
}
KINDS = {"custom-voice": "custom_voice", "voice-design": "voice_design", "base": "base"}


def text_tokenizer():
    """A byte-level BPE as Qwen's (Qwen2TokenizerFast), trained on the tests' words and the chat roles:
    qwen_tts cuts its prompt at fixed token counts, so `<|im_start|>assistant\\n` must be three tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import Qwen2TokenizerFast

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", *TTS_TOKENS]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=700, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    bpe.train_from_iterator([CORPUS, "assistant user\n" * 8] * 4, trainer=trainer)
    tokenizer = Qwen2TokenizerFast(tokenizer_object=bpe, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    prefix = tokenizer("<|im_start|>assistant\n")["input_ids"]
    assert len(prefix) == 3, f"the assistant prefix is {len(prefix)} tokens, qwen_tts reads 3"
    return tokenizer


def speech_tokenizer(out: Path) -> None:
    import torch
    from qwen_tts.core import Qwen3TTSTokenizerV2Config, Qwen3TTSTokenizerV2Model
    from transformers import EncodecFeatureExtractor

    config = Qwen3TTSTokenizerV2Config(
        encoder_config={
            "hidden_size": HIDDEN,
            "intermediate_size": 2 * HIDDEN,
            "num_hidden_layers": 1,
            "num_attention_heads": 4,
            "num_key_value_heads": 4,
            "head_dim": HIDDEN // 4,
            "num_filters": 4,
            "upsample_groups": HIDDEN,  # depthwise, as the real one (groups = its width)
            "codebook_size": CODES,
            "codebook_dim": 16,
            "vector_quantization_hidden_dimension": 16,
            "num_quantizers": GROUPS,
            "num_semantic_quantizers": 1,
            "upsampling_ratios": [8, 6, 5, 4],  # 960 samples, then a stride of 2: 1920 a frame
            "frame_rate": 12.5,
            "sliding_window": 64,
            "use_cache": False,
        },
        decoder_config={
            "codebook_size": CODES,
            "codebook_dim": 16,
            "hidden_size": HIDDEN,
            "latent_dim": HIDDEN,
            "intermediate_size": 2 * HIDDEN,
            "num_attention_heads": 4,
            "num_key_value_heads": 4,
            "num_hidden_layers": 1,
            "num_quantizers": GROUPS,
            "decoder_dim": 64,  # halved at each of the 4 upsampling blocks
            "upsample_rates": [8, 5, 4, 3],
            "upsampling_ratios": [2, 2],
        },
        encoder_valid_num_quantizers=GROUPS,
    )
    torch.manual_seed(0)
    codec = Qwen3TTSTokenizerV2Model(config).eval()
    audible(codec)
    codec.save_pretrained(out, safe_serialization=True)
    EncodecFeatureExtractor(feature_size=1, sampling_rate=24000, padding_value=0.0).save_pretrained(out)


def audible(codec) -> None:
    """Random codes decoded at about SPEECH_DBFS. The decoder's codebooks start at zero (every code
    decodes to silence): they get random vectors. Its last convolution gets kernels that sum to zero
    (no DC passes) and the gain that brings random codes to the level, twice: the first gain is found
    on the quiet output, the second corrects what the decoder's clamp makes of the louder one."""
    import torch

    last = codec.decoder.decoder[-1].conv.weight
    codes = torch.randint(0, CODES, (1, 25, GROUPS))
    with torch.no_grad():
        for name, parameter in codec.decoder.named_parameters():
            if name.endswith("embedding_sum"):
                parameter.normal_()
        last -= last.mean(dim=-1, keepdim=True)
        for _ in range(2):
            samples = codec.decode(codes).audio_values[0].double()
            level = 10 * torch.log10(samples.pow(2).mean())
            last *= 10 ** ((SPEECH_DBFS - float(level)) / 20)


def decisive(model) -> None:
    """Random heads give nearly flat logits, so a seeded sampler draws the same codes whatever the
    input: the speaker, the description or the cloned clip would change nothing. Heads scaled up make
    the codes follow the input; end-of-speech's row is cleared, so a take runs its MAX_FRAMES."""
    import torch

    talker = model.talker
    with torch.no_grad():
        for head in [talker.codec_head, *talker.code_predictor.lm_head]:
            head.weight.mul_(HEAD_GAIN)
        # Text reaches the talker through a two-layer projection that random weights shrink a
        # hundredfold: scaled back, the line and a voice's description weigh as much as the codes.
        for layer in (talker.text_projection.linear_fc1, talker.text_projection.linear_fc2):
            layer.weight.mul_(TEXT_GAIN)
        # A voice is one position of the prompt (a speaker's row, a clip's x-vector), heard only
        # through attention, which random values and outputs shrink a hundredfold: scaled back.
        for layer in talker.model.layers:
            layer.self_attn.v_proj.weight.mul_(TEXT_GAIN)
            layer.self_attn.o_proj.weight.mul_(TEXT_GAIN)
        talker.codec_head.weight[CONTROL["codec_eos_token_id"]] = 0.0


def centred(model, codec_folder: Path) -> None:
    """A random speaker encoder gives every clip nearly the same x-vector (the clips' common
    statistics dominate it): its last layer's bias takes away the mean x-vector of random codec
    clips, so what is left is each clip's own, and two voices give two embeddings, as loud as a
    speaker's row in the prompt."""
    import torch
    from qwen_tts.core import Qwen3TTSTokenizerV2Model

    codec = Qwen3TTSTokenizerV2Model.from_pretrained(codec_folder).eval()
    with torch.no_grad():
        clips = codec.decode(torch.randint(0, CODES, (8, 25, GROUPS))).audio_values
        vectors = torch.stack([model.extract_speaker_embedding(clip.numpy(), 24000) for clip in clips])
        fc = model.speaker_encoder.fc
        fc.bias -= vectors.mean(0)
        gain = 1.0 / float((vectors - vectors.mean(0)).norm(dim=-1).mean())  # x-vectors of about unit length
        fc.weight.mul_(gain)
        fc.bias.mul_(gain)


def model_config(kind: str, tokenizer) -> dict:
    text_ids = {name: tokenizer.convert_tokens_to_ids(name) for name in ("<|im_start|>", "<|im_end|>", *TTS_TOKENS)}
    languages = {language: CODES + 8 + i for i, language in enumerate(LANGUAGES)}
    speakers = {name: CODES + 16 + i for i, name in enumerate(SPEAKERS)} if kind == "custom-voice" else {}
    return {
        "architectures": ["Qwen3TTSForConditionalGeneration"],
        "model_type": "qwen3_tts",
        "tokenizer_type": "qwen3_tts_tokenizer_12hz",
        "tts_model_size": "0b6" if kind == "base" else "1b7",  # a 1.7B custom-voice model reads an instruction
        "tts_model_type": KINDS[kind],
        "im_start_token_id": text_ids["<|im_start|>"],
        "im_end_token_id": text_ids["<|im_end|>"],
        "tts_pad_token_id": text_ids["<tts_pad>"],
        "tts_bos_token_id": text_ids["<tts_text_bos>"],
        "tts_eos_token_id": text_ids["<tts_text_eod>"],
        "talker_config": {
            "vocab_size": CODES + 1024,  # qwen_tts suppresses the top 1024 ids but end-of-speech
            **LAYERS,
            "text_vocab_size": len(tokenizer),
            "text_hidden_size": HIDDEN,
            "num_code_groups": GROUPS,
            "rope_scaling": {"rope_type": "default", "mrope_section": [1, 1, 2], "interleaved": True},
            "position_id_per_seconds": 13,
            **CONTROL,
            "spk_id": speakers,
            "spk_is_dialect": dict.fromkeys(speakers, False),
            "codec_language_id": languages,
            "code_predictor_config": {
                "vocab_size": CODES,
                **LAYERS,
                "num_code_groups": GROUPS,
            },
        },
        "speaker_encoder_config": {
            "enc_dim": HIDDEN,  # a cloned voice's x-vector sits where a speaker's embedding would
            "enc_channels": [16, 16, 16, 16, 48],
            "enc_attention_channels": 8,
            "enc_se_channels": 8,
        },
    }


def build_kind(kind: str, out: Path, tokenizer) -> None:
    import torch
    from qwen_tts.core.models import Qwen3TTSConfig, Qwen3TTSForConditionalGeneration, Qwen3TTSProcessor

    out.mkdir(parents=True)
    settings = model_config(kind, tokenizer)
    torch.manual_seed(len(kind))  # each kind its own weights, as three separately trained checkpoints
    speech_tokenizer(out / "speech_tokenizer")
    model = Qwen3TTSForConditionalGeneration(Qwen3TTSConfig(**settings)).eval()
    decisive(model)
    if model.speaker_encoder is not None:
        centred(model, out / "speech_tokenizer")
    model.save_pretrained(out, safe_serialization=True)
    # The config as the Hub's is written: save_pretrained adds keys (model_type, ...) to the speaker
    # encoder's section that its config class does not take back.
    (out / "config.json").write_text(json.dumps(settings, indent=2))
    Qwen3TTSProcessor(tokenizer=tokenizer).save_pretrained(out)
    generation = {"do_sample": True, "top_k": 50, "top_p": 1.0, "temperature": 0.9, "repetition_penalty": 1.05}
    generation |= {f"subtalker_{k}": v for k, v in (("dosample", True), ("top_k", 50), ("top_p", 1.0))}
    generation |= {"subtalker_temperature": 0.9, "max_new_tokens": MAX_FRAMES}
    (out / "generation_config.json").write_text(json.dumps(generation, indent=2))


def build(out: Path) -> None:
    tokenizer = text_tokenizer()
    for kind in KINDS:
        build_kind(kind, out / kind, tokenizer)


if __name__ == "__main__":
    build(Path(sys.argv[1]))
