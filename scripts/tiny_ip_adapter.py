"""A tiny random IP-Adapter for the tiny SDXL, in the layout of the Hub repository h94/IP-Adapter:

    ip-adapter/sdxl_models/ip-adapter_sdxl_vit-h.safetensors   image_proj.* and ip_adapter.<n>.to_{k,v}_ip.weight
    ip-adapter/models/image_encoder/                           a CLIPVisionModelWithProjection and its processor

The adapter is shaped after the tiny SDXL UNet built beside it (`<out>/../t2i/unet`, which
make_tiny_weights builds first), so the two always fit: one pair of key/value projections for each
cross-attention layer, numbered as diffusers' loader counts them (1, 3, 5, ...).
"""

from pathlib import Path

ADAPTER_FILE = "sdxl_models/ip-adapter_sdxl_vit-h.safetensors"
IMAGE_ENCODER = "models/image_encoder"
IMAGE_SIZE = 32
IMAGE_EMBED_DIM = 32  # the encoder's projection_dim: the width of the adapter's image projection input
IMAGE_TOKENS = 4  # the plain IP-Adapter turns one image embedding into four context tokens


def build_image_encoder(out: Path) -> None:
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    config = CLIPVisionConfig(
        hidden_size=32,
        intermediate_size=37,
        projection_dim=IMAGE_EMBED_DIM,
        num_hidden_layers=2,
        num_attention_heads=4,
        image_size=IMAGE_SIZE,
        patch_size=8,
    )
    CLIPVisionModelWithProjection(config).save_pretrained(out, safe_serialization=True)
    CLIPImageProcessor(size={"shortest_edge": IMAGE_SIZE}, crop_size=IMAGE_SIZE).save_pretrained(out)


def adapter_state_dict(unet) -> dict:
    """image_proj.{proj,norm}.* and, per cross-attention layer, projections shaped like its own to_k / to_v."""
    import torch

    cross_dim = unet.config.cross_attention_dim
    proj = torch.nn.Linear(IMAGE_EMBED_DIM, IMAGE_TOKENS * cross_dim)
    state = {
        "image_proj.proj.weight": proj.weight,
        "image_proj.proj.bias": proj.bias,
        "image_proj.norm.weight": 1 + 0.1 * torch.randn(cross_dim),
        "image_proj.norm.bias": 0.1 * torch.randn(cross_dim),
    }
    cross_attentions = [name for name in unet.attn_processors if name.endswith("attn2.processor")]
    for number, name in zip(range(1, 2 * len(cross_attentions), 2), cross_attentions, strict=True):
        attention = unet.get_submodule(name.removesuffix(".processor"))
        for kind in ("k", "v"):
            own = getattr(attention, f"to_{kind}").weight  # [inner dim, cross_attention_dim]
            state[f"ip_adapter.{number}.to_{kind}_ip.weight"] = torch.randn_like(own) * own.std()
    return {key: value.detach().contiguous() for key, value in state.items()}


def build(out: Path) -> None:
    import torch
    from diffusers import UNet2DConditionModel
    from safetensors.torch import save_file

    unet_folder = out.parent / "t2i" / "unet"
    if not (unet_folder / "config.json").is_file():
        raise FileNotFoundError(f"the tiny IP-Adapter is shaped after the tiny SDXL UNet; build {unet_folder} first")
    torch.manual_seed(0)
    build_image_encoder(out / IMAGE_ENCODER)
    unet = UNet2DConditionModel.from_pretrained(unet_folder, use_safetensors=True)
    (out / ADAPTER_FILE).parent.mkdir(parents=True)
    save_file(adapter_state_dict(unet), out / ADAPTER_FILE)
