"""A project's task requests, built as a caller's body would be: its storyboard task, and a render of
its shots with its cast and options (the same `RenderRequest` and `prepare` as `/render`)."""

import json

from server.requests import ProjectPart, RenderRequest, Variant
from server.schemas import CharacterCreate, RenderOptionsCreate, ShotCreate
from studio.project import Project, Shot

SHOT_FIELDS = tuple(name for name in ShotCreate.model_fields if name in Shot.model_fields)


def shot_request(shot: Shot) -> ShotCreate:
    """A project's shot as a storyboard's shot: its fields, and its own files as /data/ URLs."""
    fields = shot.model_dump(include=set(SHOT_FIELDS))
    return ShotCreate(scene_id=shot.shot_id, frame=shot.own_keyframe, audio=shot.own_audio, **fields)


def render_request(project: Project, until: str, only: list[str] | None) -> RenderRequest:
    """A render of the project's shots as they are now, up to `until`, for every shot or `only`."""
    variants = {s.shot_id: Variant(clip_seed=s.clip_seed, voice_variant=s.voice_variant) for s in project.shots}
    return RenderRequest(
        storyboard=[shot_request(shot) for shot in project.shots],
        characters=[CharacterCreate(**c.model_dump(exclude={"design"})) for c in project.characters],
        style=project.style,
        options=RenderOptionsCreate.model_validate_json(json.dumps(project.options)),
        project=ProjectPart(project_id=project.project_id, until=until, only=only, variants=variants),
    )
