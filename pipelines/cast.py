"""The cast: who is in a film, what each looks like and how each sounds.

A character's identity image is the reference the caller gave, or else its design portrait, drawn
by the image model from its description with its own seed (so the same character looks the same
in every render). Every keyframe of a shot that names characters is conditioned on their identity
images; every quote a character says is spoken in its voice (`pipelines.dialogue`).
"""

import hashlib
import unicodedata
from collections.abc import Callable
from pathlib import Path

from pipelines.artifact_store import ArtifactStore
from pipelines.dialogue import parts_of
from pipelines.frames import make_frames, scene_seed
from pipelines.shot import MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS
from pipelines.specs import Character, FrameSpec, Identity, Part, Shot

MAX_CHARACTERS = 16
DESIGN_SIDE = 512  # design portraits are square, this wide unless the pixel budget is smaller
DESIGN_NEGATIVE = "crowd, several people, text, watermark, cropped face, blurry"


def valid_name(name: str) -> bool:
    """A name a cast can hold: it is part of a URL and of what a person reads, so no slashes, no
    control or invisible characters, not only dots, no space around it."""
    return (
        0 < len(name) <= MAX_NAME_CHARS
        and name == name.strip()
        and not set(name) <= {"."}
        and not any(
            ch in "/\\" or unicodedata.category(ch)[0] == "C" or unicodedata.category(ch) in ("Zl", "Zp") for ch in name
        )
    )


def check_cast(cast: list[Character]) -> None:
    if len(cast) > MAX_CHARACTERS:
        raise ValueError(f"a cast has at most {MAX_CHARACTERS} characters")
    names = [c.name for c in cast]
    if len(set(names)) != len(names):
        raise ValueError("character names must be unique")
    for character in cast:
        if not valid_name(character.name):
            raise ValueError(f"{character.name!r} is not a name a character can have")
        if len(character.description) > MAX_DESCRIPTION_CHARS:
            raise ValueError(f"a character's description is longer than {MAX_DESCRIPTION_CHARS} characters")
        if not 0 <= character.strength <= 1:
            raise ValueError("a character's strength must be between 0 and 1")


def merge_cast(found: list[Character], given: list[Character]) -> list[Character]:
    """The storyboard's cast with the caller's characters: a given one replaces the found one of the
    same name (keeping the found description when it brings none); new names join at the end."""
    by_name = {c.name: c for c in given}
    merged = []
    for character in found:
        mine = by_name.pop(character.name, None)
        if mine is None:
            merged.append(character)
        else:
            merged.append(mine if mine.description else mine.model_copy(update={"description": character.description}))
    return merged + list(by_name.values())


def seeded(cast: list[Character], base_seed: int) -> list[Character]:
    """Each character with its design seed: its own, or one drawn from the render's seed and its name."""
    return [
        c if c.design_seed is not None else c.model_copy(update={"design_seed": scene_seed(base_seed, c.name)})
        for c in cast
    ]


def design_id(name: str) -> str:
    """A file-safe id for a character's design (names may be in any script)."""
    return "cast-" + hashlib.sha256(name.encode()).hexdigest()[:12]


def design_spec(character: Character, style: str) -> FrameSpec:
    prompt = (
        f"character design portrait of {character.name}, {character.description}, head and shoulders, "
        f"facing the viewer, plain light background, {style}"
    )
    return FrameSpec(
        scene_id=design_id(character.name),
        prompt=prompt,
        negative_prompt=DESIGN_NEGATIVE,
        seed=character.design_seed or 0,
    )


def design_size(max_pixels: int) -> tuple[int, int]:
    """Square, within the pixel budget, a multiple of 8; the same for every render of a project."""
    side = min(DESIGN_SIDE, int(max_pixels**0.5) // 8 * 8)
    return side, side


def make_designs(
    cast: list[Character],
    out_dir: Path,
    t2i,
    store: ArtifactStore,
    *,
    style: str,
    max_pixels: int,
    steps: int,
    guidance: float,
    cancel=None,
    on_item: Callable[[str, Path], None] | None = None,
) -> tuple[dict[str, Path], list[str]]:
    """Each character's design portrait (from the store when drawn before); `on_item(name, path)`;
    and the warnings of the drawing (a description cut by the model's text window)."""
    if not cast:
        return {}, []
    names = {design_id(c.name): c.name for c in cast}
    width, height = design_size(max_pixels)
    made, warnings = make_frames(
        [design_spec(c, style) for c in cast],
        out_dir,
        t2i,
        store,
        width=width,
        height=height,
        steps=steps,
        guidance=guidance,
        cancel=cancel,
        on_item=(lambda f: on_item(names[f.scene_id], f.frame)) if on_item else None,
        names={scene_id: f"{name}'s design" for scene_id, name in names.items()},
    )
    return {names[frame.scene_id]: frame.frame for frame in made}, warnings


def identities(shot: Shot, cast: list[Character], designs: dict[str, Path]) -> list[Identity]:
    """The identity images a shot's keyframe is conditioned on, in the order the shot names them."""
    by_name = {c.name: c for c in cast}
    faces = []
    for name in shot.characters:
        character = by_name.get(name)
        image = character and (character.reference or designs.get(name))
        if image and character.strength > 0:
            faces.append(Identity(image=image, strength=character.strength))
    return faces


def described(shot: Shot, cast: list[Character]) -> str:
    """The look of each character the shot names, as the cast says now (so an edited description
    reaches every shot), then the shot's prompt: faces and clothes match across shots even without
    an IP-Adapter, and a model whose text window cuts a long prompt cuts the scene's end, not the
    looks. A look the prompt already holds (storyboards made before casts) is not said twice."""
    by_name = {c.name: c.description for c in cast}
    looks = [f"{name}: {by_name[name]}" for name in shot.characters if by_name.get(name)]
    return "; ".join(part for part in [*(look for look in looks if look not in shot.prompt), shot.prompt] if part)


def dialogue(shot: Shot, cast: list[Character]) -> list[Part]:
    """The shot's quotes in their speakers' voices; none (one voice for the line) without speakers."""
    parts = parts_of(shot.narration, shot.speakers, cast)
    return parts if any(part.speaker for part in parts) else []
