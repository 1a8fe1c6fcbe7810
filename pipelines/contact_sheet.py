"""A contact sheet: every shot's keyframe in one grid, numbered and titled, for reviewing a storyboard
at a glance (the titles may be Chinese: they are drawn with the subtitle font, which has CJK)."""

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

from pipelines.artifact_store import partial
from pipelines.fonts import Font

CELL = (320, 180)
CAPTION = 40
GAP = 8
COLUMNS = 4
BACKGROUND = (24, 24, 28)
TEXT = (235, 235, 235)


def caption(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> str:
    """The text, cut with an ellipsis to fit `width` pixels."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def make_contact_sheet(shots: list[tuple[int, str, Path | None]], out: Path, font: Font) -> Path:
    """`shots`: (number, title, keyframe or None) in order; a shot with no keyframe yet is a blank cell."""
    if not shots:
        raise ValueError("no shots")
    columns = min(COLUMNS, len(shots))
    rows = math.ceil(len(shots) / columns)
    width = columns * CELL[0] + (columns + 1) * GAP
    height = rows * (CELL[1] + CAPTION) + (rows + 1) * GAP
    sheet = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    face = ImageFont.truetype(str(font.file), 20)
    for position, (number, title, keyframe) in enumerate(shots):
        x = GAP + (position % columns) * (CELL[0] + GAP)
        y = GAP + (position // columns) * (CELL[1] + CAPTION + GAP)
        if keyframe is not None and keyframe.is_file():
            with Image.open(keyframe) as picture:
                sheet.paste(ImageOps.fit(picture.convert("RGB"), CELL, Image.LANCZOS), (x, y))
        else:
            draw.rectangle((x, y, x + CELL[0] - 1, y + CELL[1] - 1), outline=(90, 90, 96), width=2)
        label = caption(draw, f"{number}  {title}".strip(), face, CELL[0])
        draw.text((x, y + CELL[1] + 8), label, font=face, fill=TEXT)
    out.parent.mkdir(parents=True, exist_ok=True)
    part = partial(out)
    sheet.save(part, format="PNG")
    part.replace(out)
    return out
