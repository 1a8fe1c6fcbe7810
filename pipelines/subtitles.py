"""Subtitle cues after the Netflix Timed Text Style Guide: one cue per sentence (or clause, when a
sentence needs more than two lines), at most 2 lines of at most 42 characters (16 for Chinese),
broken between words and never before closing punctuation, each shown at least 5/6 s, timed from
the narration's own sentence timings so a cue starts with its speech."""

import re
import unicodedata
from dataclasses import dataclass

from pipelines.text import CJK, clean, sentences

MODES = ("burn", "soft", "both", "none")  # in the picture, a stream beside it (mov_text), both, neither
BURNED, CARRIED = ("burn", "both"), ("soft", "both")  # the modes that draw them, that carry a stream
ISO_639_2 = {"en": "eng", "zh": "zho"}  # the storyboard's languages, as an mp4 stream's language tag
LATIN_CHARS, CJK_CHARS = 42, 16
MAX_LINES = 2
MIN_SECONDS = 5 / 6
CLOSING = "，。！？、；：…”’）》」』〉】,.!?;:)]}\"'"
TOKENS = re.compile(r"[\u3000-\u9fff\uf900-\uffef]|[^\s\u3000-\u9fff\uf900-\uffef]+")


@dataclass
class Cue:
    start: float
    end: float
    lines: list[str]


def iso639_2(language: str) -> str:
    return ISO_639_2.get(language, "und")


def is_cjk(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and sum(bool(CJK.match(ch)) for ch in letters) / len(letters) > 0.3


def width_of(text: str) -> int:
    """Characters as the guide counts them (a CJK character is one)."""
    return sum(0 if unicodedata.combining(ch) else 1 for ch in text)


def lines_of(text: str) -> list[str]:
    """Lines of at most the guide's length: between words (Latin) or characters (CJK), and a line
    never starts with closing punctuation (it stays with the word before it)."""
    limit = CJK_CHARS if is_cjk(text) else LATIN_CHARS
    tokens = TOKENS.findall(" ".join(text.split()))
    lines, current = [], ""
    for token in tokens:
        joiner = "" if not current or CJK.match(token[0]) or CJK.match(current[-1]) else " "
        if current and width_of(current + joiner + token) > limit:
            # closing punctuation may not start a line: the character (or word) before it comes along
            cut = len(current) if token[0] not in CLOSING else len(current) - 1
            if token[0] in CLOSING and not CJK.match(current[-1]):
                cut = current.rfind(" ")
            if cut > 0:
                lines.append(current[:cut].rstrip())
                current, joiner = current[cut:].lstrip(), ""
        while width_of(token) > limit:  # a word longer than a line is cut
            lines += [current] if current else []
            lines.append(token[:limit])
            current, token, joiner = "", token[limit:], ""
        current += joiner + token
    return [*lines, current] if current else lines


def spread(pieces: list[str], start: float, seconds: float) -> list[tuple[float, float, str]]:
    """Times for pieces with none of their own: the span shared by length."""
    total = sum(max(1, len(p)) for p in pieces) or 1
    timed, cursor = [], start
    for piece in pieces:
        length = seconds * max(1, len(piece)) / total
        timed.append((cursor, cursor + length, piece))
        cursor += length
    return timed


def scene_cues(text: str, start: float, speech: float, timed: list[tuple[float, float, str]]) -> list[Cue]:
    """A scene's cues from its narration's sentence timings (relative to its audio), or, for audio
    with none (an upload), its sentences spread over the speech."""
    text = clean(text)
    if not text:
        return []
    pieces = [(start + a, start + b, piece) for a, b, piece in timed] or spread(sentences(text), start, speech)
    cues = []
    for begin, end, piece in pieces:
        lines = lines_of(piece)
        groups = [lines[i : i + MAX_LINES] for i in range(0, len(lines), MAX_LINES)]
        for group_start, group_end, group in spread_groups(groups, begin, end):
            cues.append(Cue(group_start, group_end, group))
    return cues


def spread_groups(groups: list[list[str]], start: float, end: float):
    timed = spread(["".join(group) for group in groups], start, end - start)
    return [(a, b, group) for (a, b, _), group in zip(timed, groups, strict=True)]


def hold(cues: list[Cue]) -> list[Cue]:
    """Each cue at least MIN_SECONDS, unless the next one starts sooner (then it ends there)."""
    for cue, following in zip(cues, [*cues[1:], None][: len(cues)], strict=True):
        end = max(cue.end, cue.start + MIN_SECONDS)
        cue.end = min(end, following.start) if following else end
    return cues


def stamp(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def srt(cues: list[Cue]) -> str:
    blocks = [
        f"{n}\n{stamp(c.start, ',')} --> {stamp(c.end, ',')}\n" + "\n".join(c.lines) + "\n"
        for n, c in enumerate(cues, 1)
    ]
    return "\n".join(blocks)


def vtt(cues: list[Cue]) -> str:
    """WebVTT for the browser's <track>; text escaped, since '<' opens a tag and '-->' ends a timing."""
    blocks = ["WEBVTT\n"]
    for c in cues:
        lines = [line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for line in c.lines]
        blocks.append(f"{stamp(c.start, '.')} --> {stamp(c.end, '.')}\n" + "\n".join(lines) + "\n")
    return "\n".join(blocks)
