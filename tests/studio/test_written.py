"""A storyboard written into its project part by part, without HTTP: each character and scene joins
the project while it is storyboarding (a one-shot render's project only hears of them), a restart
starts the storyboard over, and a storyboard cut short leaves nothing half-told."""

from pathlib import Path

import pytest

from pipelines.artifact_store import ArtifactStore
from pipelines.specs import Character, Scene
from studio.lifecycle import ProjectLifecycle
from studio.project import Project
from studio.store import ProjectStore
from studio.tasks import ProjectWork, storyboard_begins, written

CAT = Character(name="Pepper", description="a black cat", design_seed=7)


def scene(number: int) -> Scene:
    return Scene(
        scene_id=f"s{number}",
        title="t",
        prompt=f"p{number}",
        narration=f"n{number}",
        characters=["Pepper"],
        emotion="sad",
    )


@pytest.fixture
def work(tmp_path: Path):
    projects = ProjectStore(tmp_path / "jobs.db")
    projects.add(Project(project_id="pr_1", owner="key", task_id="st_1"))
    heard: list[tuple] = []
    work = ProjectWork(
        projects=projects,
        project_id="pr_1",
        task_id="st_1",
        data_dir=tmp_path,
        store=ArtifactStore(tmp_path / "artifacts"),
        resolve=Path,
        publish=lambda event, data, shot_id: heard.append((event, data, shot_id)),
    )
    work.heard = heard
    return work


def test_each_part_joins_the_project_as_it_is_written(work):
    written(work, CAT, None)
    written(work, scene(1), 11)
    project = work.project
    assert [c.name for c in project.characters] == ["Pepper"] and project.characters[0].design_seed == 7
    assert [(s.shot_id, s.seed, s.prompt, s.emotion) for s in project.shots] == [("s1", 11, "p1", "sad")]
    written(work, scene(2), 12)
    assert [s.shot_id for s in work.projects.get("pr_1").shots] == ["s1", "s2"]
    events = [(event, data.get("stage"), data.get("index"), shot_id) for event, data, shot_id in work.heard]
    assert events == [
        ("character", "storyboard", None, None),
        ("shot", "storyboard", 0, "s1"),
        ("shot", "storyboard", 1, "s2"),
    ]
    assert all(data["emotion"] == "sad" for event, data, _ in work.heard if event == "shot")


def test_a_restart_writes_the_storyboard_anew(work):
    written(work, CAT, None)
    written(work, scene(1), 11)
    storyboard_begins(work)
    assert work.project.shots == [] and work.project.characters == []


def test_a_one_shot_renders_project_only_hears_of_them(work):
    work.project.status = "rendering"
    written(work, scene(1), 11)
    assert work.project.shots == [] and work.heard[0][0] == "shot"


@pytest.mark.parametrize("status", ["cancelled", "error"])
def test_a_storyboard_cut_short_leaves_no_shots(work, status):
    written(work, CAT, None)
    written(work, scene(1), 11)
    ProjectLifecycle(work.projects).ended("pr_1", "st_1", status, {"code": status})
    project = work.project
    assert project.shots == [] and project.characters == [] and project.status == "error"
