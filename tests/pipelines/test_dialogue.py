"""Dialogue: quotes found in the text, spoken by their speakers' voices, nothing lost or added."""

import json

import jsonschema
import numpy as np
import pytest
import soundfile

from models.tts import EspeakRuntime
from pipelines.artifact_store import ArtifactStore
from pipelines.dialogue import cast_voices, parts_of, quoted_spans
from pipelines.narration import make_narration
from pipelines.specs import Character, Line
from pipelines.storyboard import make_storyboard
from pipelines.text import speakable

TEXTS = [
    "The fox looked up. “Where did the moon go?” she asked. The owl said, “Behind the hill.”",
    "阿青抬起头。「月亮去哪儿了？」她问。猫头鹰说：「在山后面。」",
    'He said "wait" and then "go", and an unclosed “quote runs on',
    "No one speaks here at all.",
]


@pytest.mark.parametrize("text", TEXTS)
def test_spans_and_parts_keep_the_text_exactly(text):
    assert "".join(piece for piece, _ in quoted_spans(text)) == text
    cast = [Character(name="Fox", description="", voice="v1"), Character(name="Owl", description="", voice="v2")]
    parts = parts_of(text, ["Fox", "Owl"], cast)
    assert "".join(p.text for p in parts) == text


def test_quotes_go_to_their_speakers_and_the_rest_to_the_narrator():
    cast = [Character(name="Fox", description="", voice="v1"), Character(name="Owl", description="", voice="v2")]
    parts = parts_of(TEXTS[0], ["Fox", "Owl"], cast)
    assert [(p.speaker, p.voice) for p in parts] == [(None, None), ("Fox", "v1"), (None, None), ("Owl", "v2")]
    assert parts[1].text == "“Where did the moon go?”"
    # no labels, an unknown name, or "narrator": the quote stays with the narrator, merged into one part
    assert [p.speaker for p in parts_of(TEXTS[0], [], cast)] == [None]
    assert [p.speaker for p in parts_of(TEXTS[0], ["Badger", "narrator"], cast)] == [None]
    quotes = [p for p in parts_of(TEXTS[2], ["Fox", "Fox"], cast) if p.speaker]
    assert [p.text for p in quotes] == ['"wait"', '"go"']  # the unclosed quote is narration


def test_characters_get_distinct_voices_the_narrator_does_not_have():
    cast = [Character(name=n, description="") for n in ("A", "B", "C")] + [
        Character(name="D", description="", voice="mine")
    ]
    voiced = cast_voices(cast, ["n", "x", "y"], narrator="n")
    assert [c.voice for c in voiced] == ["x", "y", "x", "mine"]  # two free voices for three characters
    assert [c.voice for c in cast_voices(cast[:1], [], narrator=None)] == [None]  # a one-voice engine
    # a character whose voice is designed from its description keeps none of the engine's
    assert [c.voice for c in cast_voices(cast, ["n", "x", "y"], "n", frozenset({"A"}))] == [None, "x", "y", "mine"]


def test_two_characters_and_the_narrator_speak_in_three_voices(tmp_path):
    tts = EspeakRuntime()
    tts.identity = "espeak-ng"
    cast = cast_voices(
        [Character(name="Fox", description=""), Character(name="Owl", description="")],
        tts.character_voices("en"),
        narrator=None,
    )
    same = "The fox said, “Come with me.” The owl said, “Come with me.”"
    parts = parts_of(same, ["Fox", "Owl"], cast)
    assert [p.speaker for p in parts] == [None, "Fox", None, "Owl"]
    store = ArtifactStore(tmp_path / "store")
    (voiced,) = make_narration([Line(scene_id="s1", text=same, parts=parts)], tmp_path / "a", tts, store, language="en")
    (plain,) = make_narration([Line(scene_id="s1", text=same)], tmp_path / "b", tts, store, language="en")
    assert voiced.audio.read_bytes() != plain.audio.read_bytes()  # another key, spoken again
    assert "".join(text for _, _, text in voiced.cues).replace(" ", "") == same.replace(" ", "")

    def said(voice):
        return tts.synthesize(speakable("“Come with me.”", "en"), voice, "en").samples

    fox, owl, narrator = said(cast[0].voice), said(cast[1].voice), said(None)
    for a, b in ((fox, owl), (fox, narrator), (owl, narrator)):
        assert len(a) != len(b) or not np.allclose(a, b)
    # and the line says each quote in its speaker's voice: the fox's and the owl's takes are in it
    line, rate = soundfile.read(voiced.audio, dtype="float32")
    line = np.concatenate([line, np.zeros(64, np.float32)])  # room to look past the last sample
    for (start, _, text), take in zip(voiced.cues[1::2], (fox, owl), strict=True):
        assert text == "“Come with me.”"
        at = round(start * rate)  # cue times are in ms: look a few samples either side
        assert min(np.abs(line[at + d : at + d + len(take)] - take).max() for d in range(-30, 31)) < 1e-3


class Labeller:
    """A stand-in LLM that answers the storyboard schema with speakers for the quotes."""

    identity = "labeller"

    def generate_json(self, messages, schema, max_new_tokens, cancel=None, on_text=None):
        count = schema["properties"]["scenes"]["minItems"]
        scene = {
            "title": "t",
            "prompt": "a fox",
            "negative_prompt": "",
            "bgm": "calm",
            "characters": ["Fox"],
            "speakers": ["Fox", "Owl", "Fox", "Owl"],
            "camera": "static",
            "emotion": "warm",
        }
        characters = [
            {"name": "Fox", "description": "a red fox", "voice_description": "a young woman"},
            {"name": "Owl", "description": "an owl", "voice_description": "an old man"},
        ]
        answer = {"characters": characters, "scenes": [scene] * count}
        jsonschema.validate(answer, schema)  # what the grammar lets the real LLM say
        if on_text is not None:  # written as the real runtime writes it: the storyboard reads it as it comes
            on_text(json.dumps(answer))
        return answer


def test_the_storyboard_labels_quotes_without_touching_the_text():
    board = make_storyboard(TEXTS[0], scenes=1, llm=Labeller())
    (scene,) = board.storyboard
    assert scene.narration == TEXTS[0] and scene.speakers == ["Fox", "Owl"]  # one label per quote, no more
    ruled = make_storyboard(TEXTS[0], scenes=1, llm=None)
    assert ruled.storyboard[0].speakers == []  # without an LLM, quotes stay with the narrator
