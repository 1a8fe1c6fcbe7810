"""Storyboard: story text -> scenes with English image prompts, narration, music mood, characters.

The story is cut into N balanced scenes by sentences, so every word of it is narrated in its own
language and nothing is invented or lost. The LLM writes only what needs understanding (titles,
English prompts, moods, the manner each scene is spoken in, the cast) under a JSON schema; with no
LLM, or when it fails, a rule-based planner fills those in and the result says so in `warnings`.

The LLM's JSON is read as it is written: each character and each scene is final as soon as its
object closes, and `on_character` / `on_scene` hear of it then (the cast comes first, so a
scene's characters are checked against it at once). A failure part-way keeps the scenes already
written and plans only the rest by rules.
"""

import re
from collections.abc import Callable

from loguru import logger

from models.cancel import CancelToken
from models.errors import Cancelled
from pipelines.cast import valid_name
from pipelines.dialogue import quote_count
from pipelines.json_stream import ArrayItems
from pipelines.shot import CAMERAS, MAX_PROMPT_CHARS
from pipelines.specs import Character, Scene, Storyboard
from pipelines.text import balanced_groups, clean, detect_language, join_sentences, sentences

MAX_STORY_CHARS = 20_000
MAX_SCENES = 24
DEFAULT_SCENES = 6
EXCERPT_CHARS = 400  # per scene, what the LLM reads; it writes visuals, not the narration
DEFAULT_NEGATIVE = "lowres, blurry, deformed, watermark, text, signature"
CLIP_WINDOW = 77  # tokens SDXL's encoders read at once: the default image model's window
# Rules of thumb for English in CLIP's and T5's vocabularies, to turn a window into words and characters.
WORDS_PER_TOKEN = 0.7
CHARS_PER_TOKEN = 4
# The manners the LLM picks a scene's `emotion` from: plain English words a TTS instruction reads
# (Qwen3-TTS). A caller's own emotion is free text; the list only keeps a weak model's noise out.
EMOTIONS = (
    "calm",
    "warm",
    "tender",
    "joyful",
    "excited",
    "sad",
    "solemn",
    "mysterious",
    "tense",
    "fearful",
    "angry",
    "whispering",
)

SYSTEM = (
    "You are a storyboard artist. For each numbered scene of the story, write a short title in the "
    "story's language, an English text-to-image prompt describing what the camera sees (subjects, "
    "setting, lighting, composition) in the given visual style, an English negative prompt, a few "
    "English words for the background music mood, the names of the characters who appear, who says "
    "each quotation of the scene's text in order (a character's name, or \"narrator\"), and the "
    "camera move that suits the moment (static, pan_left, pan_right, push_in, pull_out, tilt_up, "
    "tilt_down or orbit), and the manner its text is read aloud in (" + ", ".join(EMOTIONS) + "). "
    "List every recurring character once with an English visual description (age, build, face, "
    "hair, clothes) so the artist draws them the same way in every scene, and a few English words on "
    "how they sound (age, sex, tone) so the narrator can give them a voice. Answer with JSON only."
)


def prompt_budget(window: int) -> tuple[int, int]:
    """The words and characters an English prompt keeps within `window` tokens, as the LLM is asked."""
    return int(window * WORDS_PER_TOKEN), min(MAX_PROMPT_CHARS, window * CHARS_PER_TOKEN)


def schema(scene_count: int, window: int = CLIP_WINDOW) -> dict:
    """The LLM's answer; each scene's prompt within the image model's text `window`."""
    text = {"type": "string", "minLength": 1}
    scene = {
        "type": "object",
        "properties": {
            "title": {**text, "maxLength": 40},
            "prompt": {**text, "maxLength": prompt_budget(window)[1]},
            "negative_prompt": {"type": "string", "maxLength": 120},
            "bgm": {**text, "maxLength": 40},
            "characters": {"type": "array", "items": {**text, "maxLength": 30}, "maxItems": 4},
            "speakers": {"type": "array", "items": {**text, "maxLength": 30}, "maxItems": 12},
            "camera": {"enum": list(CAMERAS)},
            "emotion": {"enum": list(EMOTIONS)},
        },
        "required": ["title", "prompt", "negative_prompt", "bgm", "characters", "speakers", "camera", "emotion"],
        "additionalProperties": False,
    }
    character = {
        "type": "object",
        "properties": {
            "name": {**text, "maxLength": 30},
            "description": {**text, "maxLength": 200},
            "voice_description": {**text, "maxLength": 80},
        },
        "required": ["name", "description", "voice_description"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "characters": {"type": "array", "items": character, "maxItems": 6},
            "scenes": {"type": "array", "items": scene, "minItems": scene_count, "maxItems": scene_count},
        },
        "required": ["characters", "scenes"],
        "additionalProperties": False,
    }


def check_inputs(story: str, scenes: int | None, language: str) -> str:
    story = clean(story)
    if not story:
        raise ValueError("story is empty")
    if len(story) > MAX_STORY_CHARS:
        raise ValueError(f"story is longer than {MAX_STORY_CHARS} characters")
    if scenes is not None and not 1 <= scenes <= MAX_SCENES:
        raise ValueError(f"scenes must be between 1 and {MAX_SCENES}")
    if language not in ("auto", "zh", "en"):
        raise ValueError("language must be auto, zh or en")
    return story


def split_scenes(story: str, count: int, language: str) -> list[str]:
    """The story's own words, cut into at most `count` balanced scenes at sentence ends."""
    return [join_sentences(group, language) for group in balanced_groups(sentences(story), count)]


RULE_CAMERAS = ("push_in", "pan_right", "pull_out", "pan_left", "tilt_up", "orbit")  # varied, never jarring


def rule_based(texts: list[str], style: str, language: str, start: int = 0) -> list[dict]:
    """The plan of scenes `start`, `start + 1`, ... whose texts are `texts`. It gives no emotion:
    a manner guessed from keywords would misread a line more often than a plain reading does."""
    scenes = []
    for index, text in enumerate(texts, start):
        first = next(iter(sentences(text)), text)
        title = first[:16] if language == "zh" else " ".join(first.split()[:6])
        words = " ".join(text.split()[:40]) if language == "en" else text[:80]
        scenes.append(
            {
                "title": title.rstrip("，,。.!?！？"),
                "prompt": f"{words}, {style}".strip(", "),
                "negative_prompt": DEFAULT_NEGATIVE,
                "bgm": "gentle ambient",
                "characters": [],
                "camera": RULE_CAMERAS[index % len(RULE_CAMERAS)],
            }
        )
    return scenes


def llm_messages(texts: list[str], style: str, window: int = CLIP_WINDOW) -> list[dict]:
    numbered = "\n".join(f"Scene {i + 1}: {text[:EXCERPT_CHARS]}" for i, text in enumerate(texts))
    # The image model reads `window` tokens at once; what a prompt says past them may be lost.
    limit = (
        f"Keep each image prompt under {prompt_budget(window)[0]} words, the most important first: "
        f"the image model reads {window} tokens at a time."
    )
    return [
        {"role": "system", "content": f"{SYSTEM} {limit}"},
        {"role": "user", "content": f"Visual style: {style}\nNumber of scenes: {len(texts)}\n\n{numbered}"},
    ]


def kept_cast(found: list[Character]) -> list[Character]:
    """The LLM's cast with names a cast can hold (pipelines.cast.valid_name), trimmed, each once, and
    never the narrator."""
    kept: dict[str, Character] = {}
    for character in found:
        name = re.sub(r"\s+", " ", character.name).strip()
        if valid_name(name) and name.lower() != "narrator" and name not in kept:
            kept[name] = character.model_copy(update={"name": name})
    return list(kept.values())


def scene_of(index: int, text: str, item: dict, cast_names: set[str]) -> Scene:
    """A planned scene (the LLM's or the rules') with its text; it names only characters of the cast."""
    return Scene(
        scene_id=f"s{index + 1}",
        title=item["title"],
        prompt=item["prompt"],
        negative_prompt=item["negative_prompt"] or DEFAULT_NEGATIVE,
        narration=text,
        bgm=re.sub(r"\s+", " ", item["bgm"]).strip(),
        characters=[name for name in dict.fromkeys(item["characters"]) if name in cast_names],
        speakers=list(item.get("speakers", []))[: quote_count(text)],
        camera=item["camera"],
        emotion=item.get("emotion"),  # the rules' plan has none
    )


SceneHook = Callable[[Scene], None]
CharacterHook = Callable[[Character], None]


class Written:
    """What the LLM has written so far: each character and scene as its JSON object closes."""

    def __init__(self, texts: list[str], on_scene: SceneHook, on_character: CharacterHook):
        self.texts, self.on_scene, self.on_character = texts, on_scene, on_character
        self.cast: list[Character] = []
        self.scenes: list[Scene] = []
        self.items = ArrayItems(self.item)

    def item(self, key: str, index: int, item: dict) -> None:
        if key == "characters":
            kept = kept_cast([*self.cast, Character(**item)])
            if len(kept) > len(self.cast):  # a new valid name
                self.cast = kept
                self.on_character(kept[-1])
        elif key == "scenes" and index < len(self.texts):
            scene = scene_of(index, self.texts[index], item, {c.name for c in self.cast})
            self.scenes.append(scene)
            self.on_scene(scene)


def make_storyboard(
    story: str,
    *,
    style: str = "cinematic storybook illustration",
    scenes: int | None = None,
    language: str = "auto",
    llm=None,
    max_new_tokens: int = 4096,
    cancel: CancelToken | None = None,
    prompt_window: int = CLIP_WINDOW,
    on_scene: SceneHook = lambda scene: None,
    on_character: CharacterHook = lambda character: None,
) -> Storyboard:
    """`prompt_window`: the tokens the image model reads at once (`Registry.prompt_window`), which
    the LLM is asked to write each prompt within."""
    story = check_inputs(story, scenes, language)
    style = clean(style)[:200] or "cinematic storybook illustration"
    language = detect_language(story) if language == "auto" else language
    texts = split_scenes(story, scenes or DEFAULT_SCENES, language)
    warnings: list[str] = []
    if scenes and len(texts) < scenes:
        warnings.append(f"the story has {len(texts)} sentence(s), so it makes {len(texts)} scene(s), not {scenes}")

    written = Written(texts, on_scene, on_character)
    if llm is None:
        warnings.append("no LLM configured: titles and prompts come from the rule-based planner")
    else:
        try:  # the items arrive through on_text as the JSON is written; the answer is the same JSON
            llm.generate_json(
                llm_messages(texts, style, prompt_window),
                schema(len(texts), prompt_window),
                max_new_tokens,
                cancel,
                written.items.feed,
            )
        except Cancelled:
            raise
        except Exception as error:  # any LLM failure falls back; the render goes on
            logger.warning("storyboard LLM failed after {} scene(s), using rules: {}", len(written.scenes), error)
            done = len(written.scenes)
            warnings.append(
                f"the LLM failed after {done} of {len(texts)} scenes, so the rest come from the rule-based planner"
                if done
                else "the LLM failed, so titles and prompts come from the rule-based planner"
            )
    done = len(written.scenes)
    names = {c.name for c in written.cast}
    for index, item in enumerate(rule_based(texts[done:], style, language, done), done):
        scene = scene_of(index, texts[index], item, names)
        written.scenes.append(scene)
        on_scene(scene)
    return Storyboard(
        storyboard=written.scenes, characters=written.cast, style=style, language=language, warnings=warnings
    )
