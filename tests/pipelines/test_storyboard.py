import json

import jsonschema
import pytest

from pipelines.cast import described
from pipelines.json_stream import ArrayItems
from pipelines.storyboard import EMOTIONS, make_storyboard, schema
from tests.conftest import ROOT

FOX = (ROOT / "samples" / "fox-and-moon.zh.txt").read_text()
LIGHTHOUSE = (ROOT / "samples" / "lighthouse.en.txt").read_text()


def squash(text):
    return "".join(text.split())


def test_rule_based_storyboard_narrates_the_whole_story():
    board = make_storyboard(FOX, scenes=5)
    assert board.language == "zh" and len(board.storyboard) == 5
    assert [s.scene_id for s in board.storyboard] == ["s1", "s2", "s3", "s4", "s5"]
    assert squash("".join(s.narration for s in board.storyboard)) == squash(FOX)
    assert any("rule-based" in w for w in board.warnings)
    assert all(s.emotion is None for s in board.storyboard)  # the rules guess no manner


def test_scene_count_is_clamped_to_the_sentences():
    board = make_storyboard("One sentence only. And a second.", scenes=6)
    assert len(board.storyboard) == 2
    assert any("makes 2 scene(s)" in w for w in board.warnings)


def test_tiny_llm_writes_schema_valid_scenes(registry):
    board = make_storyboard(LIGHTHOUSE, scenes=3, llm=registry.get("llm"), max_new_tokens=3000)
    assert len(board.storyboard) == 3 and board.language == "en"
    assert not any("rule-based" in w for w in board.warnings)
    assert squash(" ".join(s.narration for s in board.storyboard)) == squash(LIGHTHOUSE)
    for scene in board.storyboard:
        assert scene.title and scene.prompt and scene.bgm
        assert scene.emotion in EMOTIONS


class FakeLLM:
    """Writes `answer` as a schema-checked JSON text, a few characters at a time, through `on_text`
    as the real runtime does; `error` is raised once `fail_after` characters are written."""

    def __init__(self, answer=None, error=None, fail_after=0):
        self.answer, self.error, self.fail_after = answer, error, fail_after
        self.returned = False

    def generate_json(self, messages, schema_, max_new_tokens, cancel, on_text=None):
        self.asked = messages, schema_
        text = json.dumps(self.answer or {}, separators=(",", ":"))
        if self.error:
            text = text[: self.fail_after]
        else:
            jsonschema.validate(self.answer, schema_)
        for start in range(0, len(text), 7):
            on_text(text[start : start + 7])
        if self.error:
            raise self.error
        self.returned = True
        return self.answer


def test_character_descriptions_join_the_prompts_of_their_scenes():
    scene = {
        "title": "t",
        "negative_prompt": "",
        "bgm": "calm piano",
        "camera": "push_in",
        "speakers": [],
        "emotion": "calm",
    }
    pepper = {"name": "Pepper", "description": "a small black cat with a red collar", "voice_description": "a purr"}
    answer = {
        "characters": [pepper],
        "scenes": [
            {**scene, "prompt": "a lighthouse at night", "characters": ["Pepper", "Ghost"]},
            {**scene, "prompt": "a boat in a storm", "characters": []},
        ],
    }
    board = make_storyboard("The cat ran. The boat came home.", scenes=2, llm=FakeLLM(answer))
    first, second = board.storyboard
    assert first.prompt == "a lighthouse at night"  # the look joins it at render time, from the cast
    assert described(first, board.characters) == "Pepper: a small black cat with a red collar; a lighthouse at night"
    assert first.characters == ["Pepper"]  # an unknown name is dropped
    assert second.prompt == "a boat in a storm" and second.negative_prompt
    assert board.characters[0].voice_description == "a purr"


SCENE = {"title": "t", "negative_prompt": "", "bgm": "calm piano", "camera": "push_in", "speakers": []}
PEPPER = {"name": "Pepper", "description": "a small black cat", "voice_description": "a purr"}
TWO_SCENES = {
    "characters": [PEPPER, {**PEPPER, "name": "narrator"}],
    "scenes": [
        {**SCENE, "prompt": "a cat on a wall", "characters": ["Pepper"], "emotion": "tense"},
        {**SCENE, "prompt": "a boat at dawn", "characters": [], "emotion": "joyful"},
    ],
}


def test_each_character_and_scene_is_told_as_soon_as_its_object_closes():
    llm, heard = FakeLLM(TWO_SCENES), []
    board = make_storyboard(
        "The cat ran. The boat came home.",
        scenes=2,
        llm=llm,
        on_scene=lambda scene: heard.append((scene, llm.returned)),
        on_character=lambda character: heard.append((character, llm.returned)),
    )
    assert [part for part, _ in heard] == [*board.characters, *board.storyboard]  # the narrator is never cast
    assert not any(returned for _, returned in heard)  # all heard while the LLM was still writing
    assert board.storyboard[0].characters == ["Pepper"] and board.storyboard[1].narration == "The boat came home."
    assert [scene.emotion for scene in board.storyboard] == ["tense", "joyful"]  # each scene's own manner


def test_a_failure_part_way_keeps_the_scenes_written_and_plans_the_rest_by_rules():
    text = json.dumps(TWO_SCENES, separators=(",", ":"))
    cut = text.index("a boat at dawn")  # the second scene is cut off
    heard = []
    board = make_storyboard(
        "The cat ran. The boat came home.",
        scenes=2,
        llm=FakeLLM(TWO_SCENES, error=RuntimeError("budget"), fail_after=cut),
        on_scene=heard.append,
    )
    first, second = board.storyboard
    assert first.prompt == "a cat on a wall" and first.characters == ["Pepper"] and first.emotion == "tense"
    assert second.prompt.startswith("The boat came home") and second.scene_id == "s2"  # the rules' plan
    assert second.emotion is None
    assert heard == board.storyboard and [c.name for c in board.characters] == ["Pepper"]
    assert any("after 1 of 2 scenes" in w for w in board.warnings)


def test_array_items_are_found_whatever_the_pieces():
    text = '{"cast":[{"n":"a \\"q\\" ]}","d":[1,{"x":2}]}],"o":{"p":{"q":1}},"scenes":[{"t":"{"},{"t":"y"}],"z":"w"}'
    for size in (1, 3, len(text)):
        found: list[tuple] = []
        items = ArrayItems(lambda key, index, item, found=found: found.append((key, index, item)))
        for start in range(0, len(text), size):
            items.feed(text[start : start + size])
        assert found == [
            ("cast", 0, {"n": 'a "q" ]}', "d": [1, {"x": 2}]}),
            ("scenes", 0, {"t": "{"}),
            ("scenes", 1, {"t": "y"}),
        ]


def test_llm_failure_falls_back_with_a_warning():
    board = make_storyboard(LIGHTHOUSE, scenes=2, llm=FakeLLM(error=RuntimeError("boom")))
    assert len(board.storyboard) == 2
    assert any("LLM failed" in w for w in board.warnings)


@pytest.mark.parametrize(
    ("story", "scenes", "message"),
    [("", None, "empty"), ("  \u200b \n", None, "empty"), ("x" * 20001, None, "longer"), ("ok.", 0, "between")],
)
def test_bad_inputs(story, scenes, message):
    with pytest.raises(ValueError, match=message):
        make_storyboard(story, scenes=scenes)


def test_schema_fixes_the_scene_count():
    assert schema(4)["properties"]["scenes"]["minItems"] == schema(4)["properties"]["scenes"]["maxItems"] == 4


@pytest.mark.parametrize("emotion", [*EMOTIONS, "grumpy", "whispering, afraid", "", None, "absent"])
def test_schema_holds_each_scenes_emotion_to_the_list(emotion):
    scene = {**SCENE, "prompt": "a cat on a wall", "characters": [], "emotion": emotion}
    if emotion == "absent":
        del scene["emotion"]
    answer = {"characters": [], "scenes": [scene]}
    if emotion in EMOTIONS:
        jsonschema.validate(answer, schema(1))
    else:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(answer, schema(1))


def test_the_llm_is_told_each_emotion_it_may_write():
    llm = FakeLLM(error=RuntimeError("only the question matters"))
    make_storyboard("The cat ran.", scenes=1, llm=llm)
    assert all(emotion in llm.asked[0][0]["content"] for emotion in EMOTIONS)


@pytest.mark.parametrize(("window", "words", "characters"), [(77, 53, 308), (512, 358, 2000)])
def test_the_llm_is_asked_for_prompts_within_the_image_models_window(window, words, characters):
    llm = FakeLLM(error=RuntimeError("only the question matters"))
    make_storyboard("The cat ran.", scenes=1, llm=llm, prompt_window=window)
    messages, asked = llm.asked
    assert asked["properties"]["scenes"]["items"]["properties"]["prompt"]["maxLength"] == characters
    assert f"under {words} words" in messages[0]["content"] and f"reads {window} tokens" in messages[0]["content"]
