"""What an edit does to a project, as plain functions over `Project`: patch, insert, delete and move
shots, select a take, change options; the storyboard a render gets; what a render's files do to
the shots. No HTTP, no threads: the routes hold the store's lock around each call."""

import secrets

from pipelines.specs import InvalidInput, Scene
from studio.cast import NO_CAST, cast_inputs, stale_for_cast
from studio.project import ARTIFACTS, OPTION_STALES, STALES, Project, Shot, Take, new_take_id

INPUT_FIELDS = (
    "prompt",
    "negative_prompt",
    "narration",
    "characters",
    "speakers",
    "emotion",
    "camera",
    "duration",
    "motion",
    "transition",
    "voice",
    "seed",
    "own_keyframe",
    "own_audio",
    "clip_seed",
    "voice_variant",
)


def shot_from_scene(scene: Scene, seed: int, carried: dict | None = None) -> Shot:
    """A project's shot from a storyboard scene; `carried`: what a /render storyboard's shot brought
    (its own keyframe and audio as /data/ URLs, duration, motion, transition)."""
    fields = scene.model_dump(include=set(Scene.model_fields) - {"scene_id"})
    carried = carried or {}
    for name in ("duration", "motion", "transition"):
        fields[name] = carried.get(name)
    return Shot(
        shot_id=scene.scene_id, seed=seed, own_keyframe=carried.get("frame"), own_audio=carried.get("audio"), **fields
    )


def inputs_of(shot: Shot) -> dict:
    return {name: getattr(shot, name, None) for name in INPUT_FIELDS}


def patch_shot(project: Project, shot: Shot, changes: dict) -> None:
    """Apply edited fields (already validated); mark what they stale; `index` moves the shot."""
    if "index" in changes and not 0 <= changes["index"] < len(project.shots):  # checked before anything changes
        raise InvalidInput(f"index must be between 0 and {len(project.shots) - 1}", "index")
    stale: set[str] = set()
    for name, value in changes.items():
        if name == "index":
            continue
        if getattr(shot, name) != value:
            setattr(shot, name, value)
            stale |= STALES[name]
    shot.mark(stale)
    if "index" in changes:
        move_shot(project, shot, changes["index"])


def move_shot(project: Project, shot: Shot, index: int) -> None:
    if not 0 <= index < len(project.shots):
        raise InvalidInput(f"index must be between 0 and {len(project.shots) - 1}", "index")
    project.shots.remove(shot)
    project.shots.insert(index, shot)
    touch_neighbours(project)


def touch_neighbours(project: Project) -> None:
    """A clip's length holds the transition into the next shot: the last shot's has none, so a
    shot that becomes or stops being the last one needs its clip again."""
    for index, shot in enumerate(project.shots):
        was_last = shot.take() is not None and shot.take().inputs.get("last") is True
        if was_last != (index == len(project.shots) - 1) and shot.take() is not None:
            shot.mark({"clip"})


def insert_shot(project: Project, after: str | None, fields: dict) -> Shot:
    if after is not None and project.shot(after) is None:
        raise InvalidInput("no shot with that id in this project", "after")
    shot = Shot(shot_id=project.new_shot_id(), **{"seed": secrets.randbelow(2**31), **fields})
    position = 0 if after is None else project.shots.index(project.shot(after)) + 1
    project.shots.insert(position, shot)
    touch_neighbours(project)
    return shot


def delete_shot(project: Project, shot: Shot) -> None:
    project.shots.remove(shot)
    touch_neighbours(project)


def select_take(project: Project, shot: Shot, take_id: str) -> None:
    """Bring an earlier take back: its fields and its files, at once (nothing is made). What it was
    made under that has changed since (options, being the last shot) is stale."""
    take = next((t for t in shot.takes if t.take_id == take_id), None)
    if take is None:
        raise LookupError(take_id)
    for name, value in take.inputs.items():
        if name in INPUT_FIELDS:
            setattr(shot, name, value)
    shot.take_id = take.take_id
    files = {"keyframe": take.keyframe, "narration": take.audio, "clip": take.clip}
    shot.stale = [a for a in ARTIFACTS if not files[a]]
    for name, groups in OPTION_STALES.items():
        if take.inputs.get("options", {}).get(name) != project.options.get(name):
            shot.mark(groups)
    if take.inputs.get("last") != (shot is project.shots[-1]):
        shot.mark({"clip"})
    shot.mark(stale_for_cast(shot, take.inputs.get("cast", NO_CAST), cast_inputs(project, shot)))


def change_options(project: Project, options: dict) -> None:
    """New render options: every shot's artifacts that depend on a changed one become stale."""
    stale: set[str] = set()
    for name, groups in OPTION_STALES.items():
        if project.options.get(name) != options.get(name):
            stale |= groups
    project.options = options
    for shot in project.shots:
        shot.mark(stale)


def regenerate(shot: Shot, what: list[str], seed: int | None) -> None:
    """A new take: a new keyframe seed, another reading of the line, or a new motion seed."""
    if "keyframe" in what:
        shot.seed = seed if seed is not None else secrets.randbelow(2**31)
    if "narration" in what:
        shot.voice_variant += 1
    if "clip" in what:
        shot.clip_seed = (seed if seed is not None else secrets.randbelow(2**31)) if "keyframe" not in what else None
    shot.mark(set(what) | {"clip"})  # new inputs: what the task makes becomes a new take


def take_for(project: Project, shot: Shot) -> Take:
    """The take a render's files for `shot` belong to: its selected take when that was made from
    the same fields and options, else a new one, selected."""
    last = shot is project.shots[-1]
    options = {name: project.options.get(name) for name in OPTION_STALES}  # what changes a shot's files
    inputs = {**inputs_of(shot), "options": options, "last": last, "cast": cast_inputs(project, shot)}
    take = shot.take()
    if take is None or take.inputs != inputs:
        take = Take(take_id=new_take_id(), seed=shot.seed, inputs=inputs)
        shot.takes.append(take)
        shot.take_id = take.take_id
    return take


def set_file(shot: Shot, take: Take, artifact: str, url: str) -> bool:
    """True when the take did not have this file yet."""
    attribute = "audio" if artifact == "narration" else artifact
    new = getattr(take, attribute) != url
    setattr(take, attribute, url)
    shot.stale = [a for a in shot.stale if a != artifact]
    return new
