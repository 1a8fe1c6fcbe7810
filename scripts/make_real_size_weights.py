"""Build each role at its real model's published size, with random weights, for GPU timings.

    python scripts/make_real_size_weights.py --out /tmp/real [--role i2v-wan ...] [--scale real|tiny]

GPU time does not depend on the weights' values, so a random model of the real configuration runs
our real code paths at real cost. Layers are built on the device (`--device cuda`: a 5B model
initialises in seconds there) in bf16 and saved as the real folders are: loadable by the same
runtimes through `from_pretrained`. Tokenizers are the tiny ones (prompt lengths are padded to the
real maximum anyway). `--scale tiny` builds the same folders with small dimensions, to test this
script on CPU. Configurations are the published ones; each comment names the model.
"""

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_tiny_weights as tiny

CLIP_L = dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12)
CLIP_BIG_G = dict(hidden_size=1280, intermediate_size=5120, num_hidden_layers=32, num_attention_heads=20)
T5_XXL = dict(d_model=4096, d_kv=64, d_ff=10240, num_layers=24, num_heads=64, feed_forward_proj="gated-gelu")
QWEN3_4B = dict(
    hidden_size=2560,
    intermediate_size=9728,
    num_hidden_layers=36,
    num_attention_heads=32,
    num_key_value_heads=8,
    head_dim=128,
    rope_theta=5_000_000.0,
    max_position_embeddings=262144,
)
TINY_QWEN3 = dict(
    hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, head_dim=8
)
TINY_CLIP = dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4, projection_dim=32)
CONFIGS = {
    "real": {
        # SDXL 1.0 / SDXL-Turbo UNet (2.57 B) and VAE.
        "sdxl_unet": dict(
            block_out_channels=(320, 640, 1280),
            layers_per_block=2,
            attention_head_dim=(5, 10, 20),
            transformer_layers_per_block=(1, 2, 10),
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
            cross_attention_dim=2048,
            addition_time_embed_dim=256,
            projection_class_embeddings_input_dim=2816,
            norm_num_groups=32,
            sample_size=128,
        ),
        "sdxl_vae": dict(block_out_channels=[128, 256, 512, 512], layers_per_block=2, norm_num_groups=32),
        "clip_l": dict(CLIP_L, vocab_size=49408, projection_dim=768, hidden_act="quick_gelu"),
        "clip_g": dict(CLIP_BIG_G, vocab_size=49408, projection_dim=1280, hidden_act="gelu"),
        # Wan 2.2 TI2V-5B: transformer, Wan 2.2 VAE (48 latent channels, 16x spatial), UMT5-XXL.
        "wan": dict(num_attention_heads=24, attention_head_dim=128, ffn_dim=14336, num_layers=30, freq_dim=256),
        "wan_text": dict(T5_XXL, vocab_size=256384),
        "wan_vae": dict(base_dim=160, decoder_base_dim=256, z_dim=48, dim_mult=[1, 2, 4, 4], num_res_blocks=2),
        # LTX-Video 2B (0.9.x): transformer (1.9 B), its VAE (diffusers' defaults), T5-XXL.
        "ltx": dict(num_attention_heads=32, attention_head_dim=64, num_layers=28, cross_attention_dim=2048),
        "ltx_text": dict(T5_XXL, vocab_size=32128),
        "ltx_vae": {},
        # Qwen3-4B-Instruct-2507 (its output layer shares the embedding).
        "qwen3": dict(QWEN3_4B, vocab_size=151936),
        # Z-Image-Turbo: 6 B single-stream transformer, Qwen3-4B text encoder, FLUX.1's 16-channel VAE.
        "zimage": dict(dim=3840, n_layers=30, n_refiner_layers=2, n_heads=30, n_kv_heads=30, axes_dims=[32, 48, 48]),
        "zimage_text": dict(QWEN3_4B, vocab_size=151936),
        "flux_vae": dict(block_out_channels=[128, 256, 512, 512], layers_per_block=2, norm_num_groups=32),
        # FLUX.2 klein 4B: 5 double- and 20 single-stream blocks 3072 wide; it reads Qwen3-4B's
        # layers 9, 18 and 27 side by side (3 x 2560); FLUX.2's 32-channel VAE.
        "flux2": dict(num_layers=5, num_single_layers=20, num_attention_heads=24, attention_head_dim=128),
        "flux2_text": dict(QWEN3_4B, vocab_size=151936),
        "flux2_vae": dict(block_out_channels=(128, 256, 512, 512), layers_per_block=2, norm_num_groups=32),
        # ACE-Step 1.5 turbo: 2 B DiT (24 layers, 2048 wide), its condition encoder, Qwen3-Embedding-0.6B,
        # and a 48 kHz stereo Oobleck VAE with a 1920-sample hop (25 latent frames a second).
        "ace_dit": dict(hidden_size=2048, intermediate_size=6144, num_hidden_layers=24, num_attention_heads=16),
        "ace_condition": dict(num_lyric_encoder_hidden_layers=8, num_timbre_encoder_hidden_layers=4),
        "ace_text": dict(
            hidden_size=1024,
            intermediate_size=3072,
            num_hidden_layers=28,
            num_attention_heads=16,
            num_key_value_heads=8,
            head_dim=128,
            vocab_size=151669,
        ),
        "ace_vae": dict(encoder_hidden_size=128, channel_multiples=[1, 2, 4, 8, 16], decoder_channels=128),
        "ace_heads": dict(num_key_value_heads=8, head_dim=128, sliding_window=128),
        "ace_acoustic": 64,
    },
    "tiny": {
        "sdxl_unet": dict(
            block_out_channels=(32, 64),
            layers_per_block=1,
            attention_head_dim=(2, 4),
            transformer_layers_per_block=(1, 1),
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
            cross_attention_dim=64,
            addition_time_embed_dim=8,
            projection_class_embeddings_input_dim=6 * 8 + 32,
            norm_num_groups=8,
            sample_size=32,
        ),
        "sdxl_vae": dict(block_out_channels=[8, 8, 16, 16], layers_per_block=1, norm_num_groups=4),
        "clip_l": dict(TINY_CLIP, vocab_size=600),
        "clip_g": dict(TINY_CLIP, vocab_size=600),
        "wan": dict(num_attention_heads=2, attention_head_dim=12, ffn_dim=32, num_layers=2, freq_dim=32),
        "wan_text": dict(d_model=32, d_kv=8, d_ff=37, num_layers=1, num_heads=4, vocab_size=256),
        "wan_vae": dict(base_dim=8, decoder_base_dim=8, z_dim=8, dim_mult=[1, 2, 2, 2], num_res_blocks=1),
        "ltx": dict(num_attention_heads=4, attention_head_dim=8, num_layers=1, cross_attention_dim=32),
        "ltx_text": dict(d_model=32, d_kv=8, d_ff=37, num_layers=1, num_heads=4, vocab_size=256),
        "ltx_vae": dict(block_out_channels=(8, 8, 8, 8), decoder_block_out_channels=(8, 8, 8, 8), latent_channels=8),
        "qwen3": dict(TINY_QWEN3, vocab_size=1024),
        "zimage": dict(dim=32, n_layers=2, n_refiner_layers=1, n_heads=2, n_kv_heads=2, axes_dims=[4, 6, 6]),
        "zimage_text": dict(TINY_QWEN3, vocab_size=1024),
        "flux_vae": dict(block_out_channels=[8, 8, 16, 16], layers_per_block=1, norm_num_groups=4),
        "flux2": dict(num_layers=1, num_single_layers=1, num_attention_heads=2, attention_head_dim=16),
        # The pipeline reads hidden layer 27, so even the tiny encoder has 28 (narrow) layers.
        "flux2_text": dict(TINY_QWEN3, num_hidden_layers=28, vocab_size=1024),
        "flux2_vae": dict(block_out_channels=(8, 8, 16, 16), layers_per_block=1, norm_num_groups=4),
        "ace_dit": dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4),
        "ace_condition": dict(num_lyric_encoder_hidden_layers=1, num_timbre_encoder_hidden_layers=1),
        "ace_text": dict(TINY_QWEN3, vocab_size=1024),
        "ace_vae": dict(encoder_hidden_size=8, channel_multiples=[1, 1, 2, 2, 2], decoder_channels=8),
        "ace_heads": dict(num_key_value_heads=2, head_dim=8, sliding_window=16),
        "ace_acoustic": 8,
    },
}


class Maker:
    """Builds a module on the target device with random weights and casts it to the target dtype."""

    def __init__(self, scale: str, device: str, dtype: torch.dtype):
        self.configs, self.device, self.dtype = CONFIGS[scale], device, dtype

    def __call__(self, build):
        torch.manual_seed(0)
        with torch.device(self.device):
            module = build()
        return module.to(self.dtype).eval()


def build_sdxl(out: Path, make: Maker) -> None:
    from diffusers import (
        AutoencoderKL,
        EulerAncestralDiscreteScheduler,
        StableDiffusionXLPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

    c = make.configs
    with tiny.tempfile.TemporaryDirectory() as tmp:
        tiny.clip_tokenizer(Path(tmp))
        tokenizer = CLIPTokenizer.from_pretrained(tmp)
    ids = dict(bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    pipe = StableDiffusionXLPipeline(
        vae=make(
            lambda: AutoencoderKL(
                down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4, **c["sdxl_vae"]
            )
        ),
        text_encoder=make(lambda: CLIPTextModel(CLIPTextConfig(**c["clip_l"], **ids))),
        text_encoder_2=make(lambda: CLIPTextModelWithProjection(CLIPTextConfig(**c["clip_g"], **ids))),
        tokenizer=tokenizer,
        tokenizer_2=tokenizer,
        unet=make(
            lambda: UNet2DConditionModel(
                in_channels=4,
                out_channels=4,
                use_linear_projection=True,
                addition_embed_type="text_time",
                **c["sdxl_unet"],
            )
        ),
        scheduler=EulerAncestralDiscreteScheduler(
            beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", timestep_spacing="trailing"
        ),
    )
    pipe.save_pretrained(out, safe_serialization=True)


def build_wan(out: Path, make: Maker) -> None:
    from diffusers import AutoencoderKLWan, UniPCMultistepScheduler, WanPipeline, WanTransformer3DModel
    from transformers import AutoTokenizer, UMT5Config, UMT5EncoderModel

    c = make.configs
    with tiny.tempfile.TemporaryDirectory() as tmp:
        tiny.t5_tokenizer(Path(tmp))
        tokenizer = AutoTokenizer.from_pretrained(tmp)
    latent = c["wan_vae"]["z_dim"]
    vae = make(
        lambda: AutoencoderKLWan(
            temperal_downsample=[False, True, True],
            latents_mean=[0.0] * latent,
            latents_std=[1.0] * latent,
            is_residual=True,
            in_channels=12,
            out_channels=12,
            patch_size=2,
            scale_factor_spatial=16,
            scale_factor_temporal=4,
            **c["wan_vae"],
        )
    )
    transformer = make(
        lambda: WanTransformer3DModel(
            patch_size=(1, 2, 2),
            in_channels=latent,
            out_channels=latent,
            text_dim=c["wan_text"]["d_model"],
            qk_norm="rms_norm_across_heads",
            cross_attn_norm=True,
            rope_max_seq_len=1024,
            **c["wan"],
        )
    )
    pipe = WanPipeline(
        tokenizer=tokenizer,
        text_encoder=make(lambda: UMT5EncoderModel(UMT5Config(**c["wan_text"]))),
        vae=vae,
        scheduler=UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=5.0),
        transformer=transformer,
        expand_timesteps=True,
    )
    pipe.save_pretrained(out, safe_serialization=True)


def build_ltx(out: Path, make: Maker) -> None:
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXImageToVideoPipeline,
        LTXVideoTransformer3DModel,
    )
    from transformers import AutoTokenizer, T5Config, T5EncoderModel

    c = make.configs
    with tiny.tempfile.TemporaryDirectory() as tmp:
        tiny.t5_tokenizer(Path(tmp))
        tokenizer = AutoTokenizer.from_pretrained(tmp)
    vae = make(lambda: AutoencoderKLLTXVideo(**c["ltx_vae"]))
    latent = vae.config.latent_channels
    transformer = make(
        lambda: LTXVideoTransformer3DModel(
            in_channels=latent, out_channels=latent, caption_channels=c["ltx_text"]["d_model"], **c["ltx"]
        )
    )
    pipe = LTXImageToVideoPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        text_encoder=make(lambda: T5EncoderModel(T5Config(**c["ltx_text"]))),
        tokenizer=tokenizer,
        transformer=transformer,
    )
    pipe.save_pretrained(out, safe_serialization=True)


def build_qwen3(out: Path, make: Maker) -> None:
    from transformers import Qwen3Config, Qwen3ForCausalLM

    tokenizer = tiny.chat_tokenizer()
    tokenizer.save_pretrained(out)
    config = Qwen3Config(
        **make.configs["qwen3"],
        rms_norm_eps=1e-6,
        tie_word_embeddings=True,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
    )
    make(lambda: Qwen3ForCausalLM(config)).save_pretrained(out, safe_serialization=True)


def build_zimage(out: Path, make: Maker) -> None:
    from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, ZImagePipeline, ZImageTransformer2DModel
    from transformers import Qwen3Config, Qwen3Model

    c = make.configs
    tokenizer = tiny.chat_tokenizer()
    text = Qwen3Config(**c["zimage_text"], rms_norm_eps=1e-6, tie_word_embeddings=True)
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        latent_channels=16,
        down_block_types=["DownEncoderBlock2D"] * 4,
        up_block_types=["UpDecoderBlock2D"] * 4,
        scaling_factor=0.3611,
        shift_factor=0.1159,
        use_quant_conv=False,
        use_post_quant_conv=False,
        **c["flux_vae"],
    )
    pipe = ZImagePipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0),
        vae=make(lambda: vae),
        text_encoder=make(lambda: Qwen3Model(text)),
        tokenizer=tokenizer,
        transformer=make(
            lambda: ZImageTransformer2DModel(in_channels=16, cap_feat_dim=text.hidden_size, **c["zimage"])
        ),
    )
    pipe.save_pretrained(out, safe_serialization=True)


def build_flux2(out: Path, make: Maker) -> None:
    from diffusers import (
        AutoencoderKLFlux2,
        FlowMatchEulerDiscreteScheduler,
        Flux2KleinPipeline,
        Flux2Transformer2DModel,
    )
    from transformers import Qwen3Config, Qwen3ForCausalLM

    c = make.configs
    tokenizer = tiny.chat_tokenizer()
    text = Qwen3Config(**c["flux2_text"], rms_norm_eps=1e-6, tie_word_embeddings=True)
    head = c["flux2"]["attention_head_dim"]
    pipe = Flux2KleinPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0, use_dynamic_shifting=True),
        vae=make(lambda: AutoencoderKLFlux2(latent_channels=32, **c["flux2_vae"])),
        text_encoder=make(lambda: Qwen3ForCausalLM(text)),
        tokenizer=tokenizer,
        transformer=make(
            lambda: Flux2Transformer2DModel(
                in_channels=128,  # 32 latent channels in 2x2 patches
                joint_attention_dim=3 * text.hidden_size,
                axes_dims_rope=(head // 4,) * 4,
                guidance_embeds=False,
                **c["flux2"],
            )
        ),
        is_distilled=True,
    )
    pipe.save_pretrained(out, safe_serialization=True)


def build_ace_step(out: Path, make: Maker) -> None:
    from diffusers import (
        AceStepConditionEncoder,
        AceStepPipeline,
        AceStepTransformer1DModel,
        AutoencoderOobleck,
        FlowMatchEulerDiscreteScheduler,
    )
    from transformers import Qwen3Config, Qwen3Model

    c = make.configs
    tokenizer = tiny.chat_tokenizer()
    text = Qwen3Config(**c["ace_text"], rms_norm_eps=1e-6)
    dit, acoustic = c["ace_dit"], c["ace_acoustic"]
    shared = dict(
        hidden_size=dit["hidden_size"],
        intermediate_size=dit["intermediate_size"],
        num_attention_heads=dit["num_attention_heads"],
        **c["ace_heads"],
    )
    pipe = AceStepPipeline(
        vae=make(
            lambda: AutoencoderOobleck(
                downsampling_ratios=[2, 4, 4, 6, 10],
                decoder_input_channels=acoustic,
                audio_channels=2,
                sampling_rate=48000,
                **c["ace_vae"],
            )
        ),
        text_encoder=make(lambda: Qwen3Model(text)),
        tokenizer=tokenizer,
        transformer=make(
            lambda: AceStepTransformer1DModel(
                num_hidden_layers=dit["num_hidden_layers"],
                in_channels=3 * acoustic,  # noisy latents, source latents and their mask
                audio_acoustic_hidden_dim=acoustic,
                patch_size=2,
                is_turbo=True,
                **shared,
            )
        ),
        condition_encoder=make(
            lambda: AceStepConditionEncoder(
                text_hidden_dim=text.hidden_size, timbre_hidden_dim=acoustic, **c["ace_condition"], **shared
            )
        ),
        scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0),
    )
    pipe.save_pretrained(out, safe_serialization=True)


BUILDERS = {
    "t2i": build_sdxl,
    "t2i-zimage": build_zimage,
    "t2i-flux2": build_flux2,
    "i2v-wan": build_wan,
    "i2v": build_ltx,
    "llm": build_qwen3,
    "music": build_ace_step,
}


def build(out_root: Path, role: str, scale: str = "real", device: str = "cpu", dtype=torch.bfloat16) -> Path:
    """Build one role's folder under out_root (replacing an old one) and return its path."""
    target = out_root / role
    tiny.shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    started = time.perf_counter()
    BUILDERS[role](target, Maker(scale, device, dtype))
    if device == "cuda":
        torch.cuda.empty_cache()
    size = sum(f.stat().st_size for f in target.rglob("*") if f.is_file()) / 2**30
    print(f"{role:10s} {scale} built in {time.perf_counter() - started:5.1f}s, {size:.2f} GiB  {target}")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--role", action="append", choices=list(BUILDERS), help="default: every role")
    parser.add_argument("--scale", choices=list(CONFIGS), default="real")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)
    for role in args.role or list(BUILDERS):
        build(args.out, role, args.scale, args.device)
    return 0


if __name__ == "__main__":
    sys.exit(main())
