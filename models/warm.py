"""Warming: each role loaded and run once on the smallest input it accepts, so the first real
request does not pay for lazy initialisation. The in-process worker and each render slot do it."""

import time

from loguru import logger
from PIL import Image

from models.contracts import ROLES, LocalRegistry


def warm(registry: LocalRegistry) -> dict[str, float]:
    """Load each role and run the smallest inference it accepts; returns seconds per role."""
    seconds = {}
    for role in ROLES:
        started = time.perf_counter()
        runtime = registry.get(role)
        if runtime is None:
            continue
        if role == "llm":
            runtime.generate([{"role": "user", "content": "Hello"}], max_new_tokens=2)
        elif role == "t2i":
            runtime.generate(["a lighthouse at dusk"], [0], 64, 64, steps=1)
        elif role == "i2v":
            width, height = runtime.fit_size(128, 128)
            runtime.animate(Image.new("RGB", (width, height)), 2, width, height, steps=1, seed=0, fps=8)
        elif role == "tts":
            runtime.synthesize("Hello.", None, "en", 1.0)
        seconds[role] = round(time.perf_counter() - started, 3)
        logger.info("warmed {} in {:.2f}s", role, seconds[role])
        if registry.settings.residency == "stage":
            registry.unload(role)  # with one model resident at a time, warming is loading
    return seconds
