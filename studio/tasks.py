"""What a task that belongs to a project does to it: its storyboard becomes the shots (each one as
soon as the LLM has written it), each file a render makes joins its shot's take (with a `shot`
event, so a page fills in as shots finish), and a finished video becomes one of the project's
renders. Files are linked into the project's own folder (`/data/<project_id>/...`), so a project
outlives the tasks that made it."""

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from loguru import logger

from pipelines.artifact_store import ArtifactStore, content_key
from pipelines.cast import design_id
from pipelines.contact_sheet import make_contact_sheet
from pipelines.fonts import find_font
from pipelines.frames import scene_seed
from pipelines.specs import Character, Scene
from studio.cast import adopt_cast
from studio.edits import set_file, shot_from_scene, take_for
from studio.exports import keep_manifest
from studio.files import PREFIX, url_of
from studio.project import Project, RenderVersion
from studio.store import ProjectStore

FILE_NAMES = {"keyframe": "keyframe", "narration": "audio", "clip": "clip"}
Publish = Callable[[str, dict, str | None], None]  # event, data, shot_id


@dataclass
class ProjectWork:
    """What a task working on a project lends the studio: the project, where its files go, the
    owner's artifact store, how a caller's /data/ URL becomes a file, and how the streams hear."""

    projects: ProjectStore
    project_id: str
    task_id: str
    data_dir: Path
    store: ArtifactStore
    resolve: Callable[[str], Path]
    publish: Publish
    font_file: Path | None = None
    made_shots: set[str] = field(default_factory=set)  # shots this task made something for

    @property
    def project(self) -> Project | None:
        return self.projects.get(self.project_id)

    @property
    def folder(self) -> Path:
        return self.data_dir / self.project_id

    def url(self, path: Path) -> str:
        return url_of(path, self.data_dir)

    def keep(self, path: Path, target: Path) -> str:
        """A file linked into the project's folder; its URL."""
        return self.url(self.store.place(path, target))


def storyboard_begins(work: ProjectWork) -> None:
    """A project's storyboard starts (again, after a restart mid-way): what an earlier run had
    written goes, as the storyboard is written anew (edits wait for it, so none is lost)."""
    project = work.project
    if project is None:
        return
    with work.projects.lock:
        project.shots, project.characters = [], []
        work.projects.save(project)


def written(work: ProjectWork, part: Character | Scene, seed: int | None) -> None:
    """A character or a scene, as soon as the LLM has written it: the streams hear of it, and while
    the project's storyboard is being written it joins the project at once (a one-shot render's
    project takes its shots and cast when the render ends: `adopt_rendered`)."""
    project = work.project
    keep = project is not None and project.status == "storyboarding"
    if isinstance(part, Character):
        if keep:
            with work.projects.lock:
                project.characters = [c for c in project.characters if c.name != part.name] + adopt_cast([part])
                work.projects.save(project)
        fields = part.model_dump(mode="json", include={"name", "description", "voice_description"})
        work.publish("character", {"stage": "storyboard", **fields}, None)
        return
    index = None
    if keep:
        with work.projects.lock:
            index = len(project.shots)
            project.shots.append(shot_from_scene(part, seed))
            work.projects.save(project)
    work.publish("shot", {"stage": "storyboard", "index": index, **part.model_dump(mode="json")}, part.scene_id)


def adopt_storyboard(work: ProjectWork, board, base_seed: int, written, designs: dict[str, Path]) -> None:
    """A project's storyboard task is done: its scenes become the project's shots, its characters
    the cast (with their design portraits)."""
    project = work.project
    if project is None:
        return
    with work.projects.lock:
        if written:  # a project started from a topic: the story is what the LLM wrote
            project.title, project.story = project.title or written.title, written.story
        project.shots = [shot_from_scene(scene, scene_seed(base_seed, scene.scene_id)) for scene in board.storyboard]
        project.characters = adopt_cast(board.characters)
        for name, path in designs.items():
            link_design(work, project, name, path)
        project.language = board.language
        project.status = "ready"
        work.projects.save(project)


def link_design(work: ProjectWork, project: Project, name: str, path: Path) -> str | None:
    """A character's design portrait, linked into the project's folder; its URL (None: no such character)."""
    character = project.character(name)
    if character is None:
        return None
    target = work.folder / "cast" / f"{design_id(name)}-{content_key(path)[:12]}{path.suffix}"
    character.design = work.keep(path, target)
    return character.design


def character_file(work: ProjectWork, name: str, path: Path) -> None:
    """A design portrait is ready: it joins its character, and the streams hear of it."""
    project = work.project
    url = work.url(path)
    if project is not None:
        with work.projects.lock:
            url = link_design(work, project, name, path) or url
            work.projects.save(project)
    work.publish("character", {"name": name, "design": url}, None)


def shot_file(work: ProjectWork, scene_id: str, what: str, path: Path) -> None:
    """One file of one shot is ready: it joins the shot's take, and the streams hear of it."""
    if what == "design":  # not a shot's: a character's portrait
        character_file(work, scene_id, path)
        return
    project = work.project
    shot = project.shot(scene_id) if project else None
    if shot is None:  # a one-shot render adopts its shots when it ends; the event still goes out
        work.publish("shot", {"what": what, "url": work.url(path)}, scene_id)
        return
    with work.projects.lock:
        take = take_for(project, shot)
        url = work.keep(path, work.folder / "takes" / take.take_id / f"{FILE_NAMES[what]}{path.suffix}")
        if set_file(shot, take, what, url):
            work.made_shots.add(scene_id)
        work.projects.save(project)
    work.publish("shot", {"what": what, "url": url, "take_id": take.take_id}, scene_id)


def refresh_contact_sheet(work: ProjectWork, project: Project) -> None:
    """The grid of every shot's keyframe, remade when a keyframe changed."""
    pictures = []
    for index, shot in enumerate(project.shots):
        take = shot.take()
        frame = work.data_dir / take.keyframe.removeprefix(PREFIX) if take and take.keyframe else None
        pictures.append((index + 1, shot.title, frame))
    target = work.folder / "contact-sheet.png"
    try:
        make_contact_sheet(pictures, target, find_font(work.font_file))
    except (OSError, ValueError) as error:  # a sheet is a convenience: the render stands without it
        logger.warning("project {}: contact sheet not made: {}", project.project_id, error)
        return
    project.contact_sheet = f"{work.url(target)}?v={int(time.time())}"


def finish_project_render(work: ProjectWork, out, carried: list, given_cast: list) -> None:
    """A project's render has its video: link it into the project as a new version. `carried`: the
    shots of a one-shot render's storyboard, `given_cast`: its characters (their own files)."""
    project = work.project
    if project is None:
        return
    with work.projects.lock:
        if not project.shots:  # a one-shot /render: its storyboard and files become the project now
            adopt_rendered(work, project, out, carried, given_cast)
        render_id = f"rv_{secrets.token_hex(6)}"
        folder = work.folder / "renders" / render_id
        version = RenderVersion(render_id=render_id, task_id=work.task_id, duration=out.duration)
        version.video = work.keep(out.video, folder / "final.mp4")
        if out.subtitles:
            version.subtitles = work.keep(out.subtitles, folder / "final.srt")
            version.subtitles_vtt = work.keep(out.subtitles.with_suffix(".vtt"), folder / "final.vtt")
        version.shots_made = [s.shot_id for s in project.shots if s.shot_id in work.made_shots]
        keep_manifest(work.store, folder, out.manifest, project)  # what an editor's timeline is built from
        project.renders.append(version)
        project.status, project.error = "rendered", None
        refresh_contact_sheet(work, project)
        work.projects.save(project)


def own_file(work: ProjectWork, url: str | None, name: str) -> str | None:
    """A file the caller gave, linked into the project's folder (its task may be deleted); its URL."""
    if not url:
        return None
    given = work.resolve(url)
    return work.keep(given, work.folder / "own" / f"{name}{given.suffix}")


def adopt_rendered(work: ProjectWork, project: Project, out, carried: list, given_cast: list) -> None:
    seeds = {frame.scene_id: frame.seed for frame in out.frames}
    own = {  # a shot's own files move into the project: its task may go
        shot.scene_id: {
            **shot.model_dump(include={"duration", "motion", "transition"}),
            "frame": own_file(work, shot.frame, f"{shot.scene_id}-frame"),
            "audio": own_file(work, shot.audio, f"{shot.scene_id}-audio"),
        }
        for shot in carried
    }
    project.shots = [
        shot_from_scene(scene, seeds[scene.scene_id], own.get(scene.scene_id)) for scene in out.storyboard.storyboard
    ]
    project.characters = adopt_cast(out.storyboard.characters)
    for given in given_cast:  # the caller's files move into the project too
        if (character := project.character(given.name)) is not None:
            stem, voice = design_id(character.name), given.voice
            character.reference = own_file(work, given.reference, f"{stem}-reference")
            is_clip = bool(voice) and voice.startswith(PREFIX)  # a speech clip's URL, not a voice's name
            character.voice = own_file(work, voice, f"{stem}-voice") if is_clip else voice
    for name, path in out.designs.items():
        link_design(work, project, name, path)
    project.language = out.storyboard.language
    if out.story:
        project.title, project.story = project.title or out.story.title, out.story.story
    files = [("keyframe", out.frames, "frame"), ("narration", out.audios, "audio"), ("clip", out.clips, "clip")]
    work.projects.save(project)
    for what, items, attribute in files:
        for item in items:
            shot_file(work, item.scene_id, what, getattr(item, attribute))


def finish_project_part(work: ProjectWork) -> None:
    """A render that stopped short of the video (`until`), or a regenerate: the project is ready."""
    project = work.project
    if project is None:
        return
    with work.projects.lock:
        project.status, project.error = "ready", None
        refresh_contact_sheet(work, project)
        work.projects.save(project)
