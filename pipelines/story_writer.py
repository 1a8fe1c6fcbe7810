"""Topic in, story out: the LLM writes a short story (title + paragraphs) under a JSON schema, in
the topic's language; the storyboard then cuts it into scenes like any story a person wrote."""

from pydantic import BaseModel

from models.cancel import CancelToken
from models.errors import ModelError
from pipelines.text import clean, detect_language

MAX_TOPIC_CHARS = 500
MAX_DETAIL_CHARS = 200
LENGTHS = {"short": (3, 60), "medium": (5, 90), "long": (8, 120)}  # paragraphs, words (or 2x CJK characters) each
LANGUAGE_NAMES = {"zh": "Simplified Chinese", "en": "English"}

SYSTEM = (
    "You are a children's-book and short-film author. Write an original short story for the given "
    "topic, with a title and a list of paragraphs. Each paragraph is one visual moment that can be "
    "drawn as one picture and read aloud. Write in {language}. Answer with JSON only."
)


class Topic(BaseModel):
    topic: str
    main_character: str | None = None
    setting: str | None = None
    length: str = "medium"


class WrittenStory(BaseModel):
    title: str
    story: str
    language: str


def check_inputs(topic: Topic) -> None:
    if not clean(topic.topic):
        raise ValueError("topic is empty")
    if len(topic.topic) > MAX_TOPIC_CHARS:
        raise ValueError(f"topic is longer than {MAX_TOPIC_CHARS} characters")
    for name in ("main_character", "setting"):
        if len(getattr(topic, name) or "") > MAX_DETAIL_CHARS:
            raise ValueError(f"{name} is longer than {MAX_DETAIL_CHARS} characters")
    if topic.length not in LENGTHS:
        raise ValueError(f"length must be one of {', '.join(LENGTHS)}")


def schema(paragraphs: int, language: str, words: int) -> dict:
    chars = words * (2 if language == "zh" else 7)
    return {
        "type": "object",
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": 60},
            "paragraphs": {
                "type": "array",
                "items": {"type": "string", "minLength": 8, "maxLength": chars},
                "minItems": paragraphs,
                "maxItems": paragraphs,
            },
        },
        "required": ["title", "paragraphs"],
        "additionalProperties": False,
    }


def messages(topic: Topic, language: str, paragraphs: int, words: int) -> list[dict]:
    asked = [f"Topic: {clean(topic.topic)}"]
    if topic.main_character:
        asked.append(f"Main character: {clean(topic.main_character)}")
    if topic.setting:
        asked.append(f"Setting: {clean(topic.setting)}")
    unit = "characters" if language == "zh" else "words"
    asked.append(f"{paragraphs} paragraphs of at most {words * (2 if language == 'zh' else 1)} {unit} each.")
    return [
        {"role": "system", "content": SYSTEM.format(language=LANGUAGE_NAMES[language])},
        {"role": "user", "content": "\n".join(asked)},
    ]


def write_story(topic: Topic, llm, *, max_new_tokens: int = 4096, cancel: CancelToken | None = None) -> WrittenStory:
    """The story for a topic; needs the LLM (a rule-based planner cannot invent a story)."""
    check_inputs(topic)
    if llm is None:
        raise ModelError("no LLM is configured (S2V_LLM_BACKEND=none), so a topic cannot be written: send a story")
    language = detect_language(" ".join(filter(None, (topic.topic, topic.main_character, topic.setting))))
    paragraphs, words = LENGTHS[topic.length]
    answer = llm.generate_json(
        messages(topic, language, paragraphs, words), schema(paragraphs, language, words), max_new_tokens, cancel
    )
    texts = [clean(p) for p in answer["paragraphs"]]
    story = "\n\n".join(text for text in texts if text)
    if not any(ch.isalnum() for ch in story):
        raise ModelError("the LLM wrote no usable story for this topic; try another wording or send a story")
    return WrittenStory(title=clean(answer["title"]), story=story, language=language)
