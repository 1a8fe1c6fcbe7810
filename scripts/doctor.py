"""Load every configured role from S2V_WEIGHTS_DIR, run one small inference each, print a table
with each model's licence.

    S2V_WEIGHTS_DIR=weights/tiny python scripts/doctor.py
    S2V_WEIGHTS_DIR=weights/tiny S2V_PROFILE=licence-clean python scripts/doctor.py

Exits non-zero when any role fails; the FAIL row says why. Under the licence-clean profile the
alternative families beside a role are checked only where their licence allows commercial use.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image

from models.device import placement_from
from models.licences import Licence, licence_of, load_manifest
from models.registry import RUNTIMES
from settings import Settings

SCHEMA = {
    "type": "object",
    "properties": {"title": {"type": "string", "maxLength": 24}},
    "required": ["title"],
    "additionalProperties": False,
}


def smoke(role: str, runtime) -> str:
    if role == "llm":
        return str(runtime.generate_json([{"role": "user", "content": "Name a fox."}], SCHEMA))[:40]
    if role == "t2i":
        image = runtime.generate(["a fox under the moon"], [0], 64, 64, steps=1)[0]
        return f"{image.size[0]}x{image.size[1]} {image.mode}"
    if role == "music":
        music = runtime.compose("calm piano", 1.0, steps=2)
        return f"{music.seconds:.2f}s x{music.samples.shape[1]} @ {music.sample_rate} Hz"
    if role == "i2v":
        frames = runtime.animate(Image.new("RGB", (64, 64), "gray"), 9, 64, 64, steps=1, seed=0, fps=8)
        return f"{len(frames)} frames {frames[0].size[0]}x{frames[0].size[1]}"
    speech = runtime.synthesize("Hello from the doctor.", None, "en")
    return f"{speech.seconds:.2f}s @ {speech.sample_rate} Hz"


def checks(settings: Settings) -> list[tuple[str, str, Path, Licence]]:
    """Each configured role, then every alternative family beside it (`t2i-*`, `i2v-*`, `tts-*` folders)."""
    manifest = load_manifest()
    clean = settings.profile == "licence-clean"
    found = []
    for role in ("llm", "t2i", "i2v", "tts", "music"):
        licence = licence_of(settings, role, manifest)
        if licence is None:
            continue
        backend = getattr(settings, f"{role}_backend")
        folder = settings.role_path(role)
        found.append((role, backend, folder, licence))
        if role in ("t2i", "i2v", "tts"):
            for other in sorted(p for p in folder.parent.glob(f"{role}-*") if p.is_dir() and p != folder):
                entry = next((e for e in manifest.values() if e["folder"] == other.name), {})
                reader = entry.get("backend", backend)  # tts-kokoro, tts-qwen: read by their own backends
                other_settings = settings.model_copy(update={f"{role}_model": str(other), f"{role}_backend": reader})
                other_licence = licence_of(other_settings, role, manifest)
                if other_licence.commercial or not clean:
                    found.append((role, reader, other, other_licence))
    if not any(backend == "espeak" for _, backend, _, _ in found):
        espeak = settings.model_copy(update={"tts_backend": "espeak"})
        found.append(("tts", "espeak", Path("-"), licence_of(espeak, "tts")))  # the weightless fallback
    return found


def main() -> int:
    settings = Settings()
    placement = placement_from(settings)
    rows, failed = [], False
    for role, backend, folder, licence in checks(settings):
        use = "commercial" if licence.commercial else "NON-COMMERCIAL"
        row = [role, backend, str(folder), placement.device, placement.dtype_name, "-", "-", use, ""]
        try:
            runtime = RUNTIMES[(role, backend)](folder, placement)
            row[5] = f"{runtime.load_seconds:.2f}"
            started = time.perf_counter()
            detail = smoke(role, runtime)
            row[6] = f"{time.perf_counter() - started:.2f}"
            row[8] = f"OK    {detail}  [{licence.text}]"
        except Exception as error:  # the doctor reports every failure and goes on to the next role
            failed = True
            row[8] = f"FAIL  {type(error).__name__}: {error}"
        rows.append(row)
    header = ["role", "backend", "folder", "device", "dtype", "load s", "run s", "use", "result"]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
