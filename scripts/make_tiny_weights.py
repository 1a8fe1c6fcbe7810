"""Build tiny random-weight models of the real architectures, offline, in the real on-disk formats.

    python scripts/make_tiny_weights.py [--out weights/tiny] [--force]

Each role lands in its own folder, loadable by the same `from_pretrained` / coqui code as the real
weights: llm (Qwen2 + BPE + ChatML), t2i (SDXL), i2v (LTX-Video), i2v-svd (Stable Video Diffusion),
tts (coqui VITS), tts-kokoro (Kokoro-82M, tiny_kokoro.py), tts-qwen (Qwen3-TTS, tiny_qwen_tts.py, built
with the speech worker's environment .venv-qwen-tts), and the alternative families i2v-wan
(Wan 2.2 TI2V), t2i-zimage (Z-Image) and t2i-flux2 (FLUX.2 klein) and music (ACE-Step), built by
make_real_size_weights.py at its tiny scale.
Idempotent: a folder whose stamp matches BUILD_VERSION is left alone.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # its sibling modules, when imported as a module

import tiny_ip_adapter
import tiny_kokoro
from tiny_tokenizers import chat_tokenizer, clip_tokenizer, t5_tokenizer

BUILD_VERSION = "16"
STAMP = ".tiny-build"


def build_llm(out: Path) -> None:
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    tokenizer = chat_tokenizer()
    tokenizer.save_pretrained(out)

    torch.manual_seed(0)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=32768,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
        tie_word_embeddings=True,
    )
    Qwen2ForCausalLM(config).save_pretrained(out, safe_serialization=True)


def build_sdxl(out: Path) -> None:
    import torch
    from diffusers import (
        AutoencoderKL,
        EulerAncestralDiscreteScheduler,
        StableDiffusionXLPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

    with tempfile.TemporaryDirectory() as tmp:
        clip_tokenizer(Path(tmp))
        tokenizer = CLIPTokenizer.from_pretrained(tmp)
    text_config = CLIPTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=37,
        num_attention_heads=4,
        num_hidden_layers=3,
        projection_dim=32,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        hidden_act="gelu",
    )
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(8, 16),
        layers_per_block=1,
        sample_size=64,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=8,
        transformer_layers_per_block=(1, 1),
        projection_class_embeddings_input_dim=6 * 8 + 32,
        cross_attention_dim=64,
        norm_num_groups=4,
    )
    # Four blocks, as the real VAE: 8x spatial compression, so latents stay small at real sizes.
    vae = AutoencoderKL(
        block_out_channels=[8, 8, 16, 16],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 4,
        up_block_types=["UpDecoderBlock2D"] * 4,
        latent_channels=4,
        norm_num_groups=4,
        sample_size=512,
    )
    scheduler = EulerAncestralDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", timestep_spacing="trailing"
    )
    pipe = StableDiffusionXLPipeline(
        vae=vae,
        text_encoder=CLIPTextModel(text_config),
        text_encoder_2=CLIPTextModelWithProjection(text_config),
        tokenizer=tokenizer,
        tokenizer_2=tokenizer,
        unet=unet,
        scheduler=scheduler,
    )
    pipe.save_pretrained(out, safe_serialization=True)


def build_ltx(out: Path) -> None:
    import torch
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXImageToVideoPipeline,
        LTXVideoTransformer3DModel,
    )
    from transformers import AutoTokenizer, T5Config, T5EncoderModel

    with tempfile.TemporaryDirectory() as tmp:
        t5_tokenizer(Path(tmp))
        tokenizer = AutoTokenizer.from_pretrained(tmp)
    torch.manual_seed(0)
    text_encoder = T5EncoderModel(
        T5Config(vocab_size=len(tokenizer), d_model=32, d_kv=8, d_ff=37, num_layers=1, num_heads=4)
    )
    transformer = LTXVideoTransformer3DModel(
        in_channels=8,
        out_channels=8,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=4,
        attention_head_dim=8,
        cross_attention_dim=32,
        num_layers=1,
        caption_channels=32,
    )
    # Spatial patch 4 and three spatio-temporal downsamplings: 32x spatial, 8x temporal, as LTX.
    vae = AutoencoderKLLTXVideo(
        in_channels=3,
        out_channels=3,
        latent_channels=8,
        block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, True, False),
        decoder_spatio_temporal_scaling=(True, True, True, False),
        decoder_inject_noise=(False, False, False, False, False),
        upsample_residual=(False, False, False, False),
        upsample_factor=(1, 1, 1, 1),
        timestep_conditioning=False,
        patch_size=4,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    pipe = LTXImageToVideoPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        transformer=transformer,
    )
    pipe.save_pretrained(out, safe_serialization=True)


def build_svd(out: Path) -> None:
    import torch
    from diffusers import (
        AutoencoderKLTemporalDecoder,
        EulerDiscreteScheduler,
        StableVideoDiffusionPipeline,
        UNetSpatioTemporalConditionModel,
    )
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(0)
    unet = UNetSpatioTemporalConditionModel(
        block_out_channels=(32, 64),  # SVD's GroupNorms use 32 groups
        layers_per_block=1,
        sample_size=64,
        in_channels=8,
        out_channels=4,
        down_block_types=("DownBlockSpatioTemporal", "CrossAttnDownBlockSpatioTemporal"),
        up_block_types=("CrossAttnUpBlockSpatioTemporal", "UpBlockSpatioTemporal"),
        cross_attention_dim=32,
        num_attention_heads=(2, 4),
        projection_class_embeddings_input_dim=3 * 8,
        addition_time_embed_dim=8,
    )
    vae = AutoencoderKLTemporalDecoder(
        block_out_channels=[32, 32, 32, 32],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 4,
        latent_channels=4,
    )
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        interpolation_type="linear",
        prediction_type="v_prediction",
        sigma_max=700.0,
        sigma_min=0.002,
        steps_offset=1,
        timestep_spacing="leading",
        timestep_type="continuous",
        use_karras_sigmas=True,
    )
    image_encoder = CLIPVisionModelWithProjection(
        CLIPVisionConfig(
            hidden_size=32,
            projection_dim=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            image_size=224,  # the SVD pipeline always feeds its image encoder 224x224
            intermediate_size=37,
            patch_size=32,
        )
    )
    pipe = StableVideoDiffusionPipeline(
        vae=vae,
        image_encoder=image_encoder,
        unet=unet,
        scheduler=scheduler,
        feature_extractor=CLIPImageProcessor(crop_size=224, size=224),
    )
    pipe.save_pretrained(out, safe_serialization=True)


def shared(role: str):
    """Roles whose tiny build is make_real_size_weights' builder at its tiny scale (one code for both)."""

    def builder(out: Path) -> None:
        import make_real_size_weights as real
        import torch

        real.BUILDERS[role](out, real.Maker("tiny", "cpu", torch.float32))

    return builder


# The tiny VITS's speakers: the first is the narrator's default voice, the rest are for characters.
TINY_SPEAKERS = ["narrator-a", "ava", "ben", "cleo"]
# The tiny VITS speaks a sentence at this RMS level, as a recorded voice before levelling: loud enough
# for the loudness pass to bring a film to its target (-16 LUFS) with a small gain.
SPEECH_DBFS = -23.0
CALIBRATION = "Once upon a time a fox looked at the moon. The keeper climbed the stairs of the lighthouse."


def build_vits(out: Path) -> None:
    """A multi-speaker coqui VITS over plain characters (no phonemizer), saved as coqui saves it:
    model.pth + config.json, the speakers' names in the config (no speakers file to carry along)."""
    import torch
    from TTS.tts.configs.shared_configs import CharactersConfig
    from TTS.tts.configs.vits_config import VitsConfig
    from TTS.tts.models.vits import Vits, VitsArgs

    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    config = VitsConfig(
        text_cleaner="multilingual_cleaners",
        use_phonemes=False,
        characters=CharactersConfig(
            characters_class="TTS.tts.utils.text.characters.Graphemes",
            pad="<PAD>",
            eos="<EOS>",
            bos="<BOS>",
            blank="<BLNK>",
            characters=letters,
            punctuations=" !'(),-.:;?",
        ),
        add_blank=True,
        speakers=TINY_SPEAKERS,
        model_args=VitsArgs(
            hidden_channels=16,
            hidden_channels_ffn_text_encoder=32,
            num_heads_text_encoder=2,
            num_layers_text_encoder=1,
            num_layers_posterior_encoder=1,
            num_layers_flow=1,
            resblock_type_decoder="2",
            resblock_kernel_sizes_decoder=[3],
            resblock_dilation_sizes_decoder=[[1, 3]],
            upsample_rates_decoder=[8, 8, 4],
            upsample_kernel_sizes_decoder=[16, 16, 8],
            upsample_initial_channel_decoder=16,
            # A random duration predictor says ~1 frame a symbol (two a letter, with the blanks between):
            # about 30 letters a second, a quick reader, so that test films stay short.
            length_scale=1.0,
            use_sdp=False,  # the deterministic duration predictor: stable lengths from random weights
            init_discriminator=False,  # training-only, and most of a VITS checkpoint's bytes
            use_speaker_embedding=True,  # one learned vector a speaker, conditioning every stage
            speaker_embedding_channels=8,
        ),
    )
    config.audio.hop_length = 256
    torch.manual_seed(0)
    model = Vits(config)
    config.model_args.num_chars = model.args.num_chars
    config.save_json(str(out / "config.json"))
    # Random weights speak near -58 dBFS, mostly a DC offset and rumble that a loudness meter filters
    # out (a film measured as silence). The waveform's last convolution gets kernels that sum to zero
    # (no DC passes), then the scale that brings a sentence to SPEECH_DBFS.
    # Twice: the first gain is found on the quiet output, the second corrects what the decoder's
    # tanh and coqui's silence trimming make of the louder one.
    last = model.waveform_decoder.conv_post.weight
    with torch.no_grad():
        last -= last.mean(dim=-1, keepdim=True)
        for _ in range(2):
            torch.save({"model": model.state_dict()}, out / "model.pth")
            last *= 10 ** ((SPEECH_DBFS - spoken_level(out)) / 20)
    torch.save({"model": model.state_dict()}, out / "model.pth")


def spoken_level(folder: Path) -> float:
    """The RMS level (dBFS) of CALIBRATION in the narrator's voice, spoken by coqui from `folder`
    with the speech runtime's seed (models/tts.py)."""
    import numpy as np
    import torch
    from TTS.api import TTS

    tts = TTS(model_path=str(folder / "model.pth"), config_path=str(folder / "config.json"), progress_bar=False)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        samples = np.asarray(tts.tts(CALIBRATION, speaker=TINY_SPEAKERS[0], split_sentences=False))
    return float(10 * np.log10(np.mean(samples.astype(np.float64) ** 2)))


QWEN_TTS_PYTHON = Path(__file__).resolve().parents[1] / ".venv-qwen-tts" / "bin" / "python"


def build_qwen_tts(out: Path) -> None:
    """qwen_tts needs transformers 4.57: the tiny Qwen3-TTS is built by its own environment's python."""
    script = Path(__file__).resolve().parent / "tiny_qwen_tts.py"
    subprocess.run([str(QWEN_TTS_PYTHON), str(script), str(out)], check=True, stdout=subprocess.DEVNULL)


BUILDERS = {
    "llm": build_llm,
    "t2i": build_sdxl,
    "ip-adapter": tiny_ip_adapter.build,  # after t2i: it is shaped after that UNet
    "i2v": build_ltx,
    "i2v-svd": build_svd,
    "i2v-wan": shared("i2v-wan"),
    "t2i-zimage": shared("t2i-zimage"),
    "t2i-flux2": shared("t2i-flux2"),
    "music": shared("music"),
    "tts": build_vits,
    "tts-kokoro": tiny_kokoro.build,
    "tts-qwen": build_qwen_tts,
}


def build(out_root: Path, force: bool = False) -> None:
    out_root.mkdir(parents=True, exist_ok=True)
    for name, builder in BUILDERS.items():
        target = out_root / name
        if not force and (target / STAMP).is_file() and (target / STAMP).read_text() == BUILD_VERSION:
            print(f"{name:10s} up to date  {target}")
            continue
        if builder is build_qwen_tts and not QWEN_TTS_PYTHON.is_file():
            print(f"{name:10s} skipped: {QWEN_TTS_PYTHON} is missing (scripts/setup.sh makes it)")
            continue
        started = time.perf_counter()
        staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=out_root))
        try:
            builder(staging)
            (staging / STAMP).write_text(BUILD_VERSION)
            shutil.rmtree(target, ignore_errors=True)
            staging.rename(target)  # atomic: a half-built folder is never left under the role's name
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        print(f"{name:10s} built in {time.perf_counter() - started:5.1f}s  {target}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "weights" / "tiny")
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    args = parser.parse_args(argv)
    build(args.out, force=args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
