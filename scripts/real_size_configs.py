"""The published configurations of the real models make_real_size_weights.py builds, and their tiny
twins (the same keys, small dimensions) for `--scale tiny`. Each comment names the model."""

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
