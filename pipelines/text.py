"""Story text: language detection, sentence splitting, balanced scenes, speech normalisation."""

import re

from num2words import num2words

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
END, CLOSE = "。！？!?；;…", "”’」』\"')）"
# Split points are zero-width (after terminal punctuation and any closing quotes), so no text is lost.
SENTENCE_END = re.compile(
    rf"(?<=[{END}])(?![{END}{CLOSE}])|(?<=[{END}][{CLOSE}])(?![{CLOSE}])|(?<=\.)(?=\s)|(?<=\.[\"')])(?=\s)|\n+"
)
CLAUSE_END = re.compile(r"(?<=[，,、：:])")
INVISIBLE = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def detect_language(text: str) -> str:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "en"
    return "zh" if sum(bool(CJK.match(c)) for c in letters) / len(letters) > 0.3 else "en"


def clean(text: str) -> str:
    """Drop control, zero-width and bidi-override characters; keep line breaks; trim."""
    return INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def hard_wrap(text: str, limit: int) -> list[str]:
    """Cut text longer than `limit` at clause punctuation, else at spaces, else anywhere."""
    if len(text) <= limit:
        return [text]
    pieces = [p for p in CLAUSE_END.split(text) if p]
    if len(pieces) == 1:
        words = text.split(" ")
        pieces = [w + " " for w in words[:-1]] + [words[-1]] if len(words) > 1 else [text]
    out, current = [], ""
    for piece in pieces:
        while len(piece) > limit:
            out.append(piece[:limit])
            piece = piece[limit:]
        if current and len(current) + len(piece) > limit:
            out.append(current)
            current = ""
        current += piece
    if current:
        out.append(current)
    return [p.strip() for p in out if p.strip()]


def sentences(text: str, limit: int = 300) -> list[str]:
    found = [s.strip() for s in SENTENCE_END.split(clean(text)) if s and s.strip()]
    return [piece for sentence in found for piece in hard_wrap(sentence, limit)]


def balanced_groups(items: list[str], count: int) -> list[list[str]]:
    """Split items, in order, into `count` contiguous groups of about equal total length."""
    count = max(1, min(count, len(items)))
    total = sum(len(item) for item in items)
    groups: list[list[str]] = []
    current: list[str] = []
    done = 0
    for index, item in enumerate(items):
        current.append(item)
        done += len(item)
        remaining_items = len(items) - index - 1
        remaining_groups = count - len(groups) - 1
        target = total * (len(groups) + 1) / count
        if remaining_groups > 0 and (done >= target or remaining_items == remaining_groups):
            groups.append(current)
            current = []
    groups.append(current)
    return groups


def join_sentences(parts: list[str], language: str) -> str:
    return ("" if language == "zh" else " ").join(parts)


ZH_DIGITS = "零一二三四五六七八九"
ZH_UNITS = ["", "十", "百", "千"]


def zh_number(value: int) -> str:
    """Integers to Chinese numerals (up to 10^16), read naturally: 112 -> 一百一十二."""
    if value == 0:
        return ZH_DIGITS[0]

    def below_10k(n: int) -> str:
        out, zero = "", False
        for power in (3, 2, 1, 0):
            digit = n // 10**power % 10
            if digit:
                out += ("零" if zero and out else "") + ZH_DIGITS[digit] + ZH_UNITS[power]
                zero = False
            else:
                zero = True
        return out

    groups = []  # base-10000 groups, lowest first
    while value:
        groups.append(value % 10000)
        value //= 10000
    out = ""
    for index in range(len(groups) - 1, -1, -1):
        chunk = groups[index]
        if out and chunk < 1000 and not out.endswith("零"):
            out += "零"  # a gap inside the number is read as one 零
        if chunk:
            out += below_10k(chunk) + ["", "万", "亿", "万亿"][index]
    text = out.rstrip("零")
    return text[1:] if text.startswith("一十") else text


NUMBER = re.compile(r"(\d+(?:\.\d+)?)(%?)")


def speakable(text: str, language: str) -> str:
    """Text as a speech engine should read it: numbers spelled out, symbols named, one line."""
    text = clean(text).replace("\n", " ").replace("&", " and " if language != "zh" else "和")

    def spell(match: re.Match) -> str:
        number, percent = match.group(1), match.group(2)
        if language == "zh":
            whole, _, fraction = number.partition(".")
            spoken = zh_number(int(whole)) if len(whole) <= 16 else "".join(ZH_DIGITS[int(d)] for d in whole)
            spoken += "点" + "".join(ZH_DIGITS[int(d)] for d in fraction) if fraction else ""
            return ("百分之" if percent else "") + spoken
        if len(number) > 30:
            return number
        return num2words(float(number) if "." in number else int(number)) + (" percent" if percent else "")

    text = NUMBER.sub(spell, text)
    return re.sub(r"\s+", " ", text).strip()
