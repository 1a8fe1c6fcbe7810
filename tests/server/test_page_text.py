"""The studio page's two text tables (server/static/text-en.js and text-zh.js): the same keys, each
text with the same `{placeholders}` in both languages, so no label falls back to English and no
number goes missing from a sentence."""

import re

from pipelines.storyboard import EMOTIONS
from tests.conftest import ROOT

STATIC = ROOT / "server" / "static"
ENTRY = re.compile(r'^  (?:"(?P<quoted>[^"]+)"|(?P<plain>\w+)): "(?P<text>(?:[^"\\]|\\.)*)",$')
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def table(name: str) -> dict[str, str]:
    """The table's key -> text; every line between `= {` and `};` is one entry, a comment or blank."""
    lines = (STATIC / name).read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.endswith("= {"))
    texts = {}
    for line in lines[start + 1 : lines.index("};")]:
        if not line.strip() or line.strip().startswith("//"):
            continue
        entry = ENTRY.match(line)
        assert entry, f"{name}: not one entry on one line: {line!r}"
        key = entry["quoted"] or entry["plain"]
        assert key not in texts, f"{name}: {key} twice"
        texts[key] = entry["text"]
    return texts


def test_both_languages_have_the_same_keys_and_placeholders():
    english, chinese = table("text-en.js"), table("text-zh.js")
    assert set(english) - set(chinese) == set(), "in English only"
    assert set(chinese) - set(english) == set(), "in Chinese only"
    differ = {
        key: (text, chinese[key])
        for key, text in english.items()
        if set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(chinese[key]))
    }
    assert differ == {}


def test_the_editors_emotion_suggestions_are_the_storyboards_words_each_in_both_languages():
    listed = re.search(r"const EMOTIONS = \[([^\]]*)\]", (STATIC / "shot.js").read_text(encoding="utf-8"))
    suggested = tuple(re.findall(r'"(\w+)"', listed[1]))
    assert suggested == EMOTIONS
    english, chinese = table("text-en.js"), table("text-zh.js")
    assert all(f"emotion.{name}" in english and f"emotion.{name}" in chinese for name in EMOTIONS)
