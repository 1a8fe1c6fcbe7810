"""Dialogue: a shot's narration cut into what the narrator says and what each character says.

Quoted speech is found in the text itself (“…”, "…", 「…」, 『…』, «…»); who says each quote comes
from the storyboard (the LLM labels speakers, in order) and is never guessed from the words. The
text is never changed: the parts, joined, are the narration exactly. A quote with no speaker, or
one whose speaker is not in the cast, stays with the narrator.
"""

from pipelines.specs import Character, Part

QUOTES = {"“": "”", '"': '"', "「": "」", "『": "』", "«": "»"}


def quoted_spans(text: str) -> list[tuple[str, bool]]:
    """The text as (piece, is_quote) in order; a quote keeps its marks; an unclosed one is narration."""
    spans, plain, at = [], [], 0
    while at < len(text):
        closing = QUOTES.get(text[at])
        end = text.find(closing, at + 1) if closing else -1
        if end == -1:
            plain.append(text[at])
            at += 1
            continue
        if plain:
            spans.append(("".join(plain), False))
            plain = []
        spans.append((text[at : end + 1], True))
        at = end + 1
    if plain:
        spans.append(("".join(plain), False))
    return spans


def quote_count(text: str) -> int:
    return sum(quoted for _, quoted in quoted_spans(text))


def parts_of(text: str, speakers: list[str], cast: list[Character]) -> list[Part]:
    """The narration as parts with their speaker and voice; neighbours with one voice are merged,
    and a part with nothing to say (spaces, punctuation) joins the part before it."""
    voices = {c.name: c.voice for c in cast}
    parts: list[Part] = []
    quote = 0
    for piece, quoted in quoted_spans(text):
        speaker = None
        if quoted:
            name = speakers[quote] if quote < len(speakers) else None
            speaker = name if name in voices else None
            quote += 1
        voice = voices[speaker] if speaker else None  # None: the line's own voice
        silent = not any(ch.isalnum() for ch in piece)
        if parts and (silent or (parts[-1].speaker, parts[-1].voice) == (speaker, voice)):
            parts[-1] = parts[-1].model_copy(update={"text": parts[-1].text + piece})
        else:
            parts.append(Part(text=piece, speaker=speaker, voice=voice))
    return parts


def cast_voices(
    cast: list[Character], available: list[str], narrator: str | None, designed: frozenset[str] = frozenset()
) -> list[Character]:
    """Each character without a voice gets one of the engine's voices that nobody else has (the
    narrator's first excluded), in cast order; with too few voices, characters share the rest. The
    `designed` characters (voices made from their descriptions) are left as they are."""
    taken = {narrator, *(c.voice for c in cast if c.voice)}
    free = [v for v in available if v not in taken] or [v for v in available if v != narrator]
    assigned, index = [], 0
    for character in cast:
        if character.voice or character.name in designed or not free:
            assigned.append(character)
            continue
        assigned.append(character.model_copy(update={"voice": free[index % len(free)]}))
        index += 1
    return assigned
