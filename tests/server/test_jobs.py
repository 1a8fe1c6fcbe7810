"""The task state machine without HTTP or models: pending -> running -> paused | done | error |
cancelled, resume, and what a restart does to a task it finds running."""

import queue
from types import SimpleNamespace

import pytest

from models.errors import Cancelled, Paused
from pipelines.artifact_store import ArtifactStore
from server.access import FileAccess
from server.jobs import Jobs
from server.requests import ProjectPart, RenderRequest
from server.schemas import StoryboardCreate
from server.store import TaskStore
from server.uploads import Uploads
from studio.project import Project, Shot
from studio.store import ProjectStore
from tests.conftest import tiny_settings


@pytest.fixture
def jobs(tmp_path, tiny_weights):
    settings = tiny_settings(tmp_path / "data")
    database = settings.data_dir / "tasks.sqlite3"
    store, projects = TaskStore(database), ProjectStore(database)
    access = FileAccess(settings.data_dir, store, projects, Uploads(settings.data_dir, database), lambda voice: None)
    registry = SimpleNamespace(settings=settings, check_voice=lambda voice: None)
    table = Jobs(settings, registry, store, projects, ArtifactStore(settings.data_dir / "artifacts"), access)
    table.worker = SimpleNamespace(alive=True, queue=queue.Queue(), pool=SimpleNamespace(submit=lambda *a: None))
    yield table
    store.close()
    projects.close()


def story_task(jobs: Jobs):
    task, created = jobs.submit("storyboard", "key", StoryboardCreate(story="A fox. A moon."), None)
    assert created and task.status == "pending"
    return task


def test_pending_running_done(jobs):
    task = story_task(jobs)
    job = jobs._begin(task.task_id)
    assert task.status == "running" and task.started_at is not None
    jobs._succeed(job, ({"ok": True}, ["a warning"]))
    assert (task.status, task.result, task.warnings, task.progress) == ("done", {"ok": True}, ["a warning"], 1.0)
    assert not jobs.cancel(task)  # a finished task cannot be cancelled


def test_pause_resume_then_cancel(jobs):
    task = story_task(jobs)
    assert jobs.pause(task) and task.status == "paused"  # a pending task just waits
    assert jobs.resume(task) and task.status == "pending"
    job = jobs._begin(task.task_id)
    jobs._fail(job, Paused())  # a running one stops at a shot boundary
    assert task.status == "paused" and not jobs.resume(story_task(jobs))
    assert jobs.cancel(task) and task.status == "cancelled"
    assert task.error["code"] == "cancelled"


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (Cancelled(), "cancelled", "cancelled"),
        (OSError("disk full"), "error", "storage_error"),
        (KeyError("bug"), "error", "internal_error"),
    ],
)
def test_failures_end_the_task_with_a_code(jobs, error, status, code):
    task = story_task(jobs)
    jobs._fail(jobs._begin(task.task_id), error)
    assert (task.status, task.error["code"]) == (status, code)
    assert "/" not in task.error["message"].replace("/data", "")  # no host path


def test_idempotent_retry_returns_the_first_task(jobs):
    body = StoryboardCreate(story="A fox. A moon.")
    first, _ = jobs.submit("storyboard", "key", body, "same")
    again, created = jobs.submit("storyboard", "key", body, "same")
    assert again is first and not created


def test_a_restart_runs_a_running_task_again_once(tmp_path, jobs):
    task = story_task(jobs)
    jobs._begin(task.task_id)
    database = jobs.settings.data_dir / "tasks.sqlite3"
    once = TaskStore(database)
    assert [t.task_id for t in once.recover()] == [task.task_id]  # queued again, request typed as before
    again = once.get(task.task_id)
    assert again.request == task.request and again.status == "pending" and again.restarts == 1
    again.status = "running"
    once.save(again)
    twice = TaskStore(database)
    assert twice.recover() == [] and twice.get(task.task_id).error["code"] == "interrupted"


def test_a_project_follows_its_task(jobs):
    project = jobs.projects.add(Project(project_id="pr_1", owner="key", shots=[Shot(shot_id="s1", prompt="p")]))
    request = RenderRequest(story="A fox.", project=ProjectPart(project_id="pr_1"))
    task, _ = jobs.enqueue_request("render", "key", request)
    assert project.status == "rendering" and project.task_id == task.task_id
    jobs.pause(task)
    assert project.status == "paused"
    jobs.resume(task)
    jobs._fail(jobs._begin(task.task_id), Cancelled())
    assert project.status == "ready"  # cancelled with its shots in place


def render_job(jobs: Jobs, events: list[tuple[str, dict]]):
    jobs.projects.add(Project(project_id="pr_1", owner="key", shots=[Shot(shot_id="s1", prompt="p")]))
    task, _ = jobs.enqueue_request(
        "render", "key", RenderRequest(story="A fox.", project=ProjectPart(project_id="pr_1"))
    )
    job = jobs._begin(task.task_id)
    jobs.publish = lambda task, event, data, shot_id=None: events.append((event, data))
    return task, job


def statuses(task) -> dict[str, str]:
    return {stage["name"]: stage["status"] for stage in task.stages}


def test_narration_runs_beside_the_clips_and_ends_on_its_own(jobs):
    events: list[tuple[str, dict]] = []
    task, job = render_job(jobs, events)
    job.ctx.stage("frames")(1.0)
    progress = job.ctx.stage("narration", beside=True)
    clips = job.ctx.stage("clips")  # the narration goes on: it was started beside
    progress(0.5)
    clips(0.25)
    assert statuses(task)["narration"] == statuses(task)["clips"] == "running" and task.stage == "clips"
    assert statuses(task)["frames"] == "done"
    job.ctx.ended("narration")
    assert statuses(task)["narration"] == "done" and statuses(task)["clips"] == "running"
    job.ctx.stage("compose")
    assert statuses(task)["clips"] == "done"
    jobs._succeed(job, ({}, []))
    marks = [(d["stage"], d["status"]) for e, d in events if e == "stage"]
    for stage in ("frames", "narration", "clips", "compose"):  # each once running, once done
        assert marks.count((stage, "running")) == 1 and marks.count((stage, "done")) == 1, marks
    assert marks.index(("clips", "running")) < marks.index(("narration", "done"))
    assert {"narration", "clips"} <= set(task.timings)


def test_a_pause_leaves_the_running_stages_paused_where_they_were(jobs):
    events: list[tuple[str, dict]] = []
    task, job = render_job(jobs, events)
    job.ctx.stage("narration", beside=True)(0.5)
    job.ctx.stage("clips")(0.25)
    jobs._fail(job, Paused())
    assert task.status == "paused"
    assert statuses(task)["narration"] == statuses(task)["clips"] == "paused"
    paused = [d["stage"] for e, d in events if e == "stage" and d["status"] == "paused"]
    assert sorted(paused) == ["clips", "narration"]  # each stage a client follows hears it
    progress = {stage["name"]: stage["progress"] for stage in task.stages}
    assert (progress["narration"], progress["clips"]) == (0.5, 0.25)  # not done: the resume makes the rest
    assert {"narration", "clips"} <= set(task.timings)


def test_a_failure_beside_the_last_started_stage_names_its_own(jobs):
    task, job = render_job(jobs, [])
    job.ctx.stage("narration", beside=True)
    job.ctx.stage("clips")
    error = OSError("disk full")
    error.stage = "narration"  # as pipelines.voiced_clips marks a line's failure
    jobs._fail(job, error)
    assert (task.error["code"], task.error["stage"]) == ("storage_error", "narration")
