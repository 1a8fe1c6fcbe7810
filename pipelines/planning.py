"""What a render works from: the caller's storyboard of shots, or one the LLM plans from a story
(writing the story first from a topic), each kept in the artifact store; and the cast, the
storyboard's characters merged with the caller's.

A planned storyboard's characters and scenes are told to `on_written` one by one as the LLM
finishes each (all at once when the storyboard comes from the store), with the seeds the render
gives them."""

import hashlib

from pipelines.artifact_store import ArtifactStore, key_of, write_json
from pipelines.cast import merge_cast, seeded
from pipelines.context import WrittenHook
from pipelines.frames import scene_seed
from pipelines.render_options import RenderOptions, Source
from pipelines.specs import Character, Shot, Storyboard
from pipelines.story_writer import Topic, WrittenStory, write_story
from pipelines.storyboard import make_storyboard
from pipelines.text import detect_language


def _identity(runtime) -> str:
    return runtime.identity if runtime is not None else "rules"


def plan(
    source: Source,
    options: RenderOptions,
    registry,
    store: ArtifactStore,
    cancel,
    cast: list[Character] = (),
    on_written: WrittenHook = lambda part, seed: None,
) -> tuple:
    """The storyboard (its cast merged with the caller's `cast`), its shots, the story the LLM wrote
    (topics only), and the base seed."""
    settings, written = registry.settings, None
    if isinstance(source, list):  # the caller's storyboard: nothing to make
        text = " ".join(shot.narration for shot in source)
        language = detect_language(text) if options.language == "auto" else options.language
        base = options.image.seed
        if base is None:  # from the style alone, so that editing one shot redraws only that shot
            base = int(hashlib.sha256(options.style.encode()).hexdigest()[:8], 16)
        characters = seeded(list(cast), base)
        board = Storyboard(storyboard=list(source), characters=characters, style=options.style, language=language)
        return board, list(source), None, base
    llm = registry.get("llm")
    if isinstance(source, Topic):
        key = key_of(stage="story", topic=source.model_dump(), llm=_identity(llm))
        if (found := store.find(key, ".json")) is not None:
            written = WrittenStory.model_validate_json(found.read_text())
        else:
            written = write_story(source, llm, max_new_tokens=settings.llm_max_new_tokens, cancel=cancel)
            with store.making(key, ".json") as part:
                write_json(part, written.model_dump())
        source = written.story
    # The LLM writes prompts within the image model's window; the rules' storyboard does not depend on it.
    window = {"prompt_window": registry.prompt_window()} if llm is not None else {}
    board_key = key_of(
        stage="storyboard",
        story=source,
        scenes=options.scene_count,
        style=options.style,
        language=options.language,
        llm=_identity(llm),
        **window,
    )
    base = options.image.seed if options.image.seed is not None else int(board_key[:8], 16)
    hooks = {
        "on_scene": lambda scene: on_written(scene, scene_seed(base, scene.scene_id)),
        "on_character": lambda character: on_written(seeded([character], base)[0], None),
    }
    if (found := store.find(board_key, ".json")) is not None:
        board = Storyboard.model_validate_json(found.read_text())
        for character in board.characters:
            hooks["on_character"](character)
        for scene in board.storyboard:
            hooks["on_scene"](scene)
    else:
        board = make_storyboard(
            source,
            style=options.style,
            scenes=options.scene_count,
            language=options.language,
            llm=llm,
            max_new_tokens=settings.llm_max_new_tokens,
            cancel=cancel,
            **window,
            **hooks,
        )
        with store.making(board_key, ".json") as part:
            write_json(part, board.model_dump(mode="json"))
    board = board.model_copy(update={"characters": seeded(merge_cast(board.characters, list(cast)), base)})
    shots = [Shot(**scene.model_dump()) for scene in board.storyboard]
    return board, shots, written, base
