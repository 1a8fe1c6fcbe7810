"""What edits do to a project, without HTTP: each stales exactly what depends on it."""

import pytest

from pipelines.specs import InvalidInput
from studio import cast, edits
from studio.project import Project, ProjectCharacter, Shot


def project_of(count: int = 3) -> Project:
    shots = [Shot(shot_id=f"s{i}", prompt=f"p{i}", narration=f"n{i}", stale=[]) for i in range(1, count + 1)]
    return Project(project_id="pr_1", owner="key", shots=shots, options={"voice": None, "speed": 1.0})


@pytest.mark.parametrize(
    ("field", "value", "stale"),
    [
        ("prompt", "new", ["keyframe", "clip"]),
        ("narration", "new", ["narration", "clip"]),
        ("camera", "orbit", ["clip"]),
        ("duration", 4.0, ["clip"]),
        ("title", "new", []),
    ],
)
def test_a_field_stales_what_depends_on_it(field, value, stale):
    project = project_of()
    edits.patch_shot(project, project.shots[1], {field: value})
    assert project.shots[1].stale == stale
    assert project.shots[0].stale == project.shots[2].stale == []


def test_the_same_value_stales_nothing():
    project = project_of()
    edits.patch_shot(project, project.shots[0], {"prompt": "p1"})
    assert project.shots[0].stale == []


def test_insert_move_delete_keep_the_order():
    project = project_of()
    shot = edits.insert_shot(project, "s1", {"prompt": "between"})
    assert [s.shot_id for s in project.shots] == ["s1", shot.shot_id, "s2", "s3"]
    assert shot.stale == ["keyframe", "narration", "clip"]
    edits.move_shot(project, shot, 3)
    assert project.shots[-1] is shot
    with pytest.raises(InvalidInput):
        edits.move_shot(project, shot, 9)
    edits.delete_shot(project, shot)
    assert [s.shot_id for s in project.shots] == ["s1", "s2", "s3"]
    with pytest.raises(InvalidInput):
        edits.insert_shot(project, "nope", {})


def test_new_options_stale_every_shot_they_touch():
    project = project_of()
    edits.change_options(project, {**project.options, "speed": 1.5})
    assert all(s.stale == ["narration", "clip"] for s in project.shots)


def test_a_take_comes_back_with_its_fields_and_files():
    project = project_of(1)
    shot = project.shots[0]
    take = edits.take_for(project, shot)
    for what, url in (("keyframe", "/data/k.png"), ("narration", "/data/a.wav"), ("clip", "/data/c.mp4")):
        edits.set_file(shot, take, what, url)
    edits.patch_shot(project, shot, {"prompt": "changed"})
    assert shot.stale == ["keyframe", "clip"]
    edits.select_take(project, shot, take.take_id)
    assert shot.prompt == "p1" and shot.stale == [] and shot.take().clip == "/data/c.mp4"


def test_a_character_edit_stales_only_its_shots():
    project = project_of()
    project.shots[0].characters = ["Fox"]
    project.shots[2].speakers = ["Fox"]
    cast.add_character(project, {"name": "Fox", "description": "red"})
    fox = project.character("Fox")
    for shot in project.shots:
        shot.stale = []
    cast.patch_character(project, fox, {"description": "a red fox"})
    assert [s.stale for s in project.shots] == [["keyframe", "clip"], [], []]
    cast.patch_character(project, fox, {"voice": "ava"})
    assert [s.stale for s in project.shots] == [["keyframe", "clip"], [], ["narration", "clip"]]
    cast.delete_character(project, fox)
    assert project.shots[0].characters == [] and isinstance(project.characters, list)
    assert ProjectCharacter(name="Owl").design_seed == 0
