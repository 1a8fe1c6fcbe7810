"""The subtitle font: a CJK-capable face found with fontconfig (or S2V_FONT_FILE), and a glyph check."""

import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont

PATTERNS = ("Noto Sans CJK SC:lang=zh", "WenQuanYi Micro Hei:lang=zh", "sans-serif:lang=zh")


@dataclass(frozen=True)
class Font:
    family: str
    file: Path


def fc(args: list[str]) -> str:
    binary = shutil.which(args[0])
    if not binary:
        return ""
    return subprocess.run([binary, *args[1:]], capture_output=True, text=True, timeout=30).stdout.strip()


@lru_cache
def find_font(font_file: Path | None = None) -> Font:
    if font_file:
        if not font_file.is_file():
            raise FileNotFoundError(f"S2V_FONT_FILE {font_file} does not exist")
        family = fc(["fc-scan", "--format", "%{family[0]}", str(font_file)]) or font_file.stem
        return Font(family, font_file)
    for pattern in PATTERNS:
        found = fc(["fc-match", "--format", "%{family[0]}\t%{file}", pattern])
        if "\t" in found:
            family, file = found.split("\t", 1)
            if Path(file).is_file():
                return Font(family, Path(file))
    raise FileNotFoundError("no font found for subtitles; install fonts-noto-cjk or set S2V_FONT_FILE")


@lru_cache
def _codepoints(font: Font) -> frozenset[int]:
    if font.file.suffix.lower() in (".ttc", ".otc"):
        faces = TTCollection(str(font.file), lazy=True).fonts
        chosen = next((f for f in faces if font.family in str(f["name"].getDebugName(1))), faces[0])
    else:
        chosen = TTFont(str(font.file), lazy=True)
    return frozenset(chosen.getBestCmap())


def missing_glyphs(font: Font, text: str) -> set[str]:
    codepoints = _codepoints(font)
    return {ch for ch in text if not ch.isspace() and ord(ch) not in codepoints}
