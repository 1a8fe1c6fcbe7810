"""Build each role at its real model's published size, with random weights, for GPU timings.

    python scripts/make_real_size_weights.py --out /tmp/real [--role i2v-wan ...] [--scale real|tiny]

GPU time does not depend on the weights' values, so a random model of the real configuration runs
our real code paths at real cost. Layers are built on the device (`--device cuda`: a 5B model
initialises in seconds there) in bf16 and saved as the real folders are: loadable by the same
runtimes through `from_pretrained`. Tokenizers are the tiny ones (prompt lengths are padded to the
real maximum anyway). `--scale tiny` builds the same folders with small dimensions, to test this
script on CPU. Configurations are the published ones (real_size_configs.py).
"""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from real_size_configs import CONFIGS
from tiny_tokenizers import chat_tokenizer, clip_tokenizer, t5_tokenizer


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
    with tempfile.TemporaryDirectory() as tmp:
        clip_tokenizer(Path(tmp))
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
    with tempfile.TemporaryDirectory() as tmp:
        t5_tokenizer(Path(tmp))
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
    with tempfile.TemporaryDirectory() as tmp:
        t5_tokenizer(Path(tmp))
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

    tokenizer = chat_tokenizer()
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
    tokenizer = chat_tokenizer()
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
    tokenizer = chat_tokenizer()
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
    tokenizer = chat_tokenizer()
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
    shutil.rmtree(target, ignore_errors=True)
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
