"""A random-weight Kokoro-82M in the layout of the Hub repository hexgrad/Kokoro-82M, offline:

    tts-kokoro/config.json          vocab (phoneme -> id), plbert, istftnet and the model's widths
    tts-kokoro/kokoro-v1_0.pth      {"bert", "bert_encoder", "predictor", "text_encoder", "decoder"}: state dicts
    tts-kokoro/voices/<name>.pt     a voice pack: one style vector per phoneme count, [510, 1, 256]

`kokoro.KModel` loads it as it loads the real one. Tiny: a one-layer ALBERT, one prosody layer and a
small vocoder (the decoder's 1024/512 widths and the 128-wide style halves are fixed in kokoro's
code, so even the tiny model has ~30M parameters); `real_size=True`: the real model's widths.
Voice packs are named as Kokoro names its own: language letter (a: American English, b: British
English, z: Mandarin), gender letter, name.
"""

import json
from pathlib import Path

CHECKPOINT = "kokoro-v1_0.pth"
STYLE_DIM = 128  # kokoro slices a pack's 256 values into two halves of 128: fixed by its code
HIDDEN_DIM = 512  # the decoder's residual path expects 512 channels: fixed by its code
CONTEXT = 512  # ALBERT positions: phonemes per call (510 with the two boundary tokens)
# Kokoro's phoneme alphabet (misaki's): punctuation, its capital diphthong letters, IPA, stress and
# length marks, and the tone arrows of its Mandarin phonemes.
SYMBOLS = (
    ';:,.!?—…"()“” '
    "\u0303ʣʥʦʨᵝꭧAIOQSTWYᵊabcdefhijklmnopqrstuvwxyz"
    "ɑɐɒæβɔɕçɖðʤəɚɛɜɟɡɥɨɪʝɯɰŋɳɲɴøɸθœɹɾɻʁɽʂʃʈʧʊʋʌɣɤχʎʒʔˈˌːʰʲ↓→↗↘ᵻ"
)
TINY_VOICES = ("af_ava", "am_ben", "bf_cleo", "bm_dan", "zf_lan", "zm_ming", "zf_yu")
REAL_VOICES = ("af_ava", "am_ben", "zf_lan")  # a benchmark needs a voice or two, not a catalogue


def config(real_size: bool) -> dict:
    plbert = (
        {"hidden_size": 768, "num_attention_heads": 12, "intermediate_size": 2048, "num_hidden_layers": 12}
        if real_size
        else {"hidden_size": 32, "num_attention_heads": 2, "intermediate_size": 64, "num_hidden_layers": 1}
    )
    return {
        "vocab": {symbol: index + 1 for index, symbol in enumerate(dict.fromkeys(SYMBOLS))},
        "n_token": 178,
        "hidden_dim": HIDDEN_DIM,
        "style_dim": STYLE_DIM,
        "n_layer": 3 if real_size else 1,
        # A random duration predictor gives each phoneme about half of max_dur frames (of 12.5 ms):
        # 12 makes the tiny one speak at about a speaking pace, as the real one's 50 after training.
        "max_dur": 50 if real_size else 12,
        "dropout": 0.2,
        "text_encoder_kernel_size": 5 if real_size else 3,
        "n_mels": 80,
        "plbert": {**plbert, "max_position_embeddings": CONTEXT, "dropout": 0.1},
        "istftnet": {
            # 10 x 6 upsampling then a hop of 5: 300 samples a frame at 24 kHz, as the real vocoder
            "upsample_rates": [10, 6],
            "upsample_kernel_sizes": [20, 12],
            "gen_istft_hop_size": 5,
            "gen_istft_n_fft": 20,
            "upsample_initial_channel": 512,  # the decoder hands the vocoder 512 channels: fixed
            "resblock_kernel_sizes": [3, 7, 11] if real_size else [3],
            "resblock_dilation_sizes": [[1, 3, 5]] * (3 if real_size else 1),
        },
    }


def build(out: Path, real_size: bool = False) -> None:
    import torch
    from kokoro.istftnet import Decoder
    from kokoro.modules import CustomAlbert, ProsodyPredictor, TextEncoder
    from transformers import AlbertConfig

    torch.manual_seed(0)
    settings = config(real_size)
    bert = CustomAlbert(AlbertConfig(vocab_size=settings["n_token"], **settings["plbert"]))
    parts = {
        "bert": bert,
        "bert_encoder": torch.nn.Linear(bert.config.hidden_size, HIDDEN_DIM),
        "predictor": ProsodyPredictor(
            style_dim=STYLE_DIM,
            d_hid=HIDDEN_DIM,
            nlayers=settings["n_layer"],
            max_dur=settings["max_dur"],
            dropout=settings["dropout"],
        ),
        "text_encoder": TextEncoder(
            channels=HIDDEN_DIM,
            kernel_size=settings["text_encoder_kernel_size"],
            depth=settings["n_layer"],
            n_symbols=settings["n_token"],
        ),
        "decoder": Decoder(dim_in=HIDDEN_DIM, style_dim=STYLE_DIM, dim_out=settings["n_mels"], **settings["istftnet"]),
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(settings, ensure_ascii=False, indent=1), encoding="utf-8")
    if not real_size:
        # The vocoder's magnitudes are exp() of its last layer: damped, random weights speak at a sane level.
        parts["decoder"].generator.conv_post.weight_g.data *= 0.35
    # The tiny one is kept in half precision (half the bytes); kokoro copies it into its float32 modules.
    dtype = torch.float32 if real_size else torch.float16
    state = {name: {k: v.to(dtype) for k, v in module.state_dict().items()} for name, module in parts.items()}
    torch.save(state, out / CHECKPOINT)
    (out / "voices").mkdir(exist_ok=True)
    for index, name in enumerate(REAL_VOICES if real_size else TINY_VOICES):
        generator = torch.Generator().manual_seed(1000 + index)
        # Real packs hold values within about ±1.5 around 0; each voice its own draw.
        pack = 0.4 * torch.randn(CONTEXT - 2, 1, 2 * STYLE_DIM, generator=generator)
        torch.save(pack, out / "voices" / f"{name}.pt")
