"""What a task that belongs to a project does to it: its storyboard becomes the shots, each file a
render makes joins its shot's take (with a `shot` event, so a page fills in as shots finish), and
a finished video becomes one of the project's renders. Files are linked into the project's own
folder (`/data/<project_id>/...`), so a project outlives the tasks that made it."""

import secrets
import time
from pathlib import Path

from loguru import logger

from pipelines.artifact_store import content_key
from pipelines.cast import design_id
from pipelines.contact_sheet import make_contact_sheet
from pipelines.fonts import find_font
from pipelines.frames import scene_seed
from server import paths
from server.cast_edits import adopt_cast
from server.project_edits import set_file, shot_from_scene, take_for
from server.projects import Project, RenderVersion

FILE_NAMES = {"keyframe": "keyframe", "narration": "audio", "clip": "clip"}


def project_of(job) -> Project | None:
    about = job.request.get("project") or {}
    return job.jobs.projects.get(about["project_id"]) if about else None


def project_dir(job, project: Project) -> Path:
    return job.settings.data_dir / project.project_id


def adopt_storyboard(job, board, base_seed: int, written, designs: dict[str, Path]) -> None:
    """A project's storyboard task is done: its scenes become the project's shots, its characters
    the cast (with their design portraits)."""
    project = project_of(job)
    if project is None:
        return
    with job.jobs.projects.lock:
        if written:  # a project started from a topic: the story is what the LLM wrote
            project.title, project.story = project.title or written.title, written.story
        project.shots = [shot_from_scene(scene, scene_seed(base_seed, scene.scene_id)) for scene in board.storyboard]
        project.characters = adopt_cast(board.characters)
        for name, path in designs.items():
            link_design(job, project, name, path)
        project.language = board.language
        project.status = "ready"
        job.jobs.projects.save(project)


def link_design(job, project: Project, name: str, path: Path) -> str | None:
    """A character's design portrait, linked into the project's folder; its URL (None: no such character)."""
    character = project.character(name)
    if character is None:
        return None
    target = project_dir(job, project) / "cast" / f"{design_id(name)}-{content_key(path)[:12]}{path.suffix}"
    character.design = paths.url_of(job.store.place(path, target), job.settings.data_dir)
    return character.design


def character_file(job, name: str, path: Path) -> None:
    """A design portrait is ready: it joins its character, and the streams hear of it."""
    project = project_of(job)
    url = job.url(path)
    if project is not None:
        with job.jobs.projects.lock:
            url = link_design(job, project, name, path) or url
            job.jobs.projects.save(project)
    job.jobs.publish(job.task, "character", {"name": name, "design": url})


def shot_file(job, scene_id: str, what: str, path: Path) -> None:
    """One file of one shot is ready: it joins the shot's take, and the streams hear of it."""
    if what == "design":  # not a shot's: a character's portrait
        character_file(job, scene_id, path)
        return
    project = project_of(job)
    shot = project.shot(scene_id) if project else None
    if shot is None:  # a one-shot render adopts its shots when it ends; the event still goes out
        job.jobs.publish(job.task, "shot", {"what": what, "url": job.url(path)}, shot_id=scene_id)
        return
    with job.jobs.projects.lock:
        take = take_for(project, shot)
        target = project_dir(job, project) / "takes" / take.take_id / f"{FILE_NAMES[what]}{path.suffix}"
        job.store.place(path, target)
        url = paths.url_of(target, job.settings.data_dir)
        if set_file(shot, take, what, url):
            job.made_shots.add(scene_id)
        job.jobs.projects.save(project)
    job.jobs.publish(job.task, "shot", {"what": what, "url": url, "take_id": take.take_id}, shot_id=scene_id)


def refresh_contact_sheet(job, project: Project) -> None:
    """The grid of every shot's keyframe, remade when a keyframe changed."""
    pictures = []
    for index, shot in enumerate(project.shots):
        take = shot.take()
        frame = job.settings.data_dir / take.keyframe.removeprefix(paths.PREFIX) if take and take.keyframe else None
        pictures.append((index + 1, shot.title, frame))
    target = project_dir(job, project) / "contact-sheet.png"
    try:
        make_contact_sheet(pictures, target, find_font(job.settings.font_file))
    except (OSError, ValueError) as error:  # a sheet is a convenience: the render stands without it
        logger.warning("project {}: contact sheet not made: {}", project.project_id, error)
        return
    project.contact_sheet = f"{paths.url_of(target, job.settings.data_dir)}?v={int(time.time())}"


def finish_project_render(job, out) -> None:
    """A project's render has its video: link it into the project as a new version."""
    project = project_of(job)
    if project is None:
        return
    with job.jobs.projects.lock:
        if not project.shots:  # a one-shot /render: its storyboard and files become the project now
            adopt_rendered(job, project, out)
        render_id = f"rv_{secrets.token_hex(6)}"
        folder = project_dir(job, project) / "renders" / render_id
        version = RenderVersion(render_id=render_id, task_id=job.task.task_id, duration=out.duration)
        version.video = paths.url_of(job.store.place(out.video, folder / "final.mp4"), job.settings.data_dir)
        if out.subtitles:
            srt = job.store.place(out.subtitles, folder / "final.srt")
            vtt = job.store.place(out.subtitles.with_suffix(".vtt"), folder / "final.vtt")
            version.subtitles = paths.url_of(srt, job.settings.data_dir)
            version.subtitles_vtt = paths.url_of(vtt, job.settings.data_dir)
        version.shots_made = [s.shot_id for s in project.shots if s.shot_id in job.made_shots]
        project.renders.append(version)
        project.status, project.error = "rendered", None
        refresh_contact_sheet(job, project)
        job.jobs.projects.save(project)


def own_file(job, project: Project, url: str | None, name: str) -> str | None:
    """A file the caller gave, linked into the project's folder (its task may be deleted); its URL."""
    if not url:
        return None
    given = job.resolve(url)
    target = project_dir(job, project) / "own" / f"{name}{given.suffix}"
    return paths.url_of(job.store.place(given, target), job.settings.data_dir)


def adopt_rendered(job, project: Project, out) -> None:
    seeds = {frame.scene_id: frame.seed for frame in out.frames}
    carried = {item["scene_id"]: dict(item) for item in job.request.get("storyboard") or []}
    for scene_id, item in carried.items():  # a shot's own files move into the project: its task may go
        for name in ("frame", "audio"):
            item[name] = own_file(job, project, item.get(name), f"{scene_id}-{name}")
    project.shots = [
        shot_from_scene(scene, seeds[scene.scene_id], carried.get(scene.scene_id))
        for scene in out.storyboard.storyboard
    ]
    project.characters = adopt_cast(out.storyboard.characters)
    for given in job.request.get("characters") or []:  # the caller's files move into the project too
        if (character := project.character(given["name"])) is not None:
            stem, voice = design_id(character.name), given.get("voice")
            character.reference = own_file(job, project, given.get("reference"), f"{stem}-reference")
            is_clip = bool(voice) and voice.startswith(paths.PREFIX)  # a speech clip's URL, not a voice's name
            character.voice = own_file(job, project, voice, f"{stem}-voice") if is_clip else voice
    for name, path in out.designs.items():
        link_design(job, project, name, path)
    project.language = out.storyboard.language
    if out.story:
        project.title, project.story = project.title or out.story.title, out.story.story
    files = [("keyframe", out.frames, "frame"), ("narration", out.audios, "audio"), ("clip", out.clips, "clip")]
    job.jobs.projects.save(project)
    for what, items, attribute in files:
        for item in items:
            shot_file(job, item.scene_id, what, getattr(item, attribute))


def finish_project_part(job) -> None:
    """A render that stopped short of the video (`until`), or a regenerate: the project is ready."""
    project = project_of(job)
    if project is None:
        return
    with job.jobs.projects.lock:
        project.status, project.error = "ready", None
        refresh_contact_sheet(job, project)
        job.jobs.projects.save(project)
