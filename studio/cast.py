"""What an edit of a project's cast does, as plain functions over `Project`: add, change and delete
characters, draw a design again. Each edit marks stale exactly the shots it changes: a shot's
keyframe (and clip) when the identity of a character it names changed, its narration (and clip)
when the voice of a character who speaks in it changed. The routes hold the store's lock."""

import secrets
from collections.abc import Callable

from pipelines.specs import Character
from studio.project import Project, ProjectCharacter, Shot

NO_CAST = {"looks": {}, "voices": {}}  # what a shot naming nobody was made from (and a take made before casts)


# Lists, not tuples: these are kept in takes as JSON and compared after a restart.
def looks_of(project: Project, character: ProjectCharacter) -> list:
    """What a keyframe of a shot naming this character depends on: its description (in the prompt)
    and its identity image (a design is drawn from the description in the project's style)."""
    if character.reference:
        return ["reference", character.description, character.reference, character.strength]
    return ["design", character.description, character.design_seed, character.strength, project.style]


def sound_of(project: Project, character: ProjectCharacter) -> list:
    """What this character's lines sound like: its voice, or the one it is given automatically
    (which follows its place among the unvoiced characters and the voices others took)."""
    if character.voice:
        return ["voice", character.voice]
    unvoiced = [c.name for c in project.characters if not c.voice]
    return ["auto", unvoiced.index(character.name), sorted(c.voice for c in project.characters if c.voice)]


def cast_inputs(project: Project, shot: Shot) -> dict:
    """The part of the cast a shot's files were made from."""
    looks = {n: looks_of(project, c) for n in shot.characters if (c := project.character(n))}
    voices = {n: sound_of(project, c) for n in dict.fromkeys(shot.speakers) if (c := project.character(n))}
    return {"looks": looks, "voices": voices}


def stale_for_cast(shot: Shot, made_from: dict, now: dict) -> set[str]:
    stale = set()
    if made_from.get("looks") != now["looks"] and not shot.own_keyframe:
        stale |= {"keyframe", "clip"}
    if made_from.get("voices") != now["voices"] and not shot.own_audio:
        stale |= {"narration", "clip"}
    return stale


def edit_cast(project: Project, change: Callable[[], object]) -> None:
    """Run one change of the cast, then mark stale what it changed in each shot."""
    before = {shot.shot_id: cast_inputs(project, shot) for shot in project.shots}
    change()
    for shot in project.shots:
        shot.mark(stale_for_cast(shot, before[shot.shot_id], cast_inputs(project, shot)))


def add_character(project: Project, fields: dict) -> ProjectCharacter:
    if project.character(fields["name"]) is not None:
        raise KeyError(fields["name"])
    character = ProjectCharacter(**{"design_seed": secrets.randbelow(2**31), **fields})
    edit_cast(project, lambda: project.characters.append(character))
    return character


def patch_character(project: Project, character: ProjectCharacter, changes: dict) -> None:
    edit_cast(project, lambda: [setattr(character, name, value) for name, value in changes.items()])


def delete_character(project: Project, character: ProjectCharacter) -> None:
    """Gone from the cast and from the shots that named it; its quotes go back to the narrator."""

    def remove() -> None:
        project.characters.remove(character)
        for shot in project.shots:
            shot.characters = [n for n in shot.characters if n != character.name]

    edit_cast(project, remove)


def redesign(project: Project, character: ProjectCharacter, seed: int | None) -> None:
    """Another design portrait: a new seed (the shots it is the identity of become stale)."""
    new_seed = seed if seed is not None else secrets.randbelow(2**31)
    edit_cast(project, lambda: setattr(character, "design_seed", new_seed))


def adopt_cast(found: list[Character]) -> list[ProjectCharacter]:
    """A storyboard's characters as a project's cast, with the design seeds the render gave them."""
    return [
        ProjectCharacter(
            **c.model_dump(include={"name", "description", "voice_description", "strength"}),
            design_seed=c.design_seed or 0,
        )
        for c in found
    ]
