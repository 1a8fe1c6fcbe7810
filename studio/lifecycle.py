"""A project's status follows the task working on it: queued (storyboarding or rendering), paused,
resumed, and ended short of done (a finished task brings its project up to date itself)."""

from collections.abc import Callable

from studio.project import Project
from studio.store import ProjectStore


class ProjectLifecycle:
    def __init__(self, projects: ProjectStore):
        self.projects = projects

    def queued(self, project_id: str, task_id: str, kind: str, fresh: Callable[[], Project]) -> None:
        """A new task works on the project (a one-shot render's project, `fresh()`, is made now)."""
        with self.projects.lock:
            project = self.projects.get(project_id)
            if project is None:
                project = self.projects.add(fresh())
            project.task_id = task_id
            project.status = "storyboarding" if kind == "storyboard" else "rendering"
            self.projects.save(project)

    def changed(self, project_id: str, task_id: str, status: str, error: dict | None = None) -> None:
        """The project's own task was paused, resumed or ended; an older task's news changes nothing."""
        project = self.projects.get(project_id)
        if project is None or project.task_id != task_id:
            return
        with self.projects.lock:
            project.status, project.error = status, error
            self.projects.save(project)

    def ended(self, project_id: str, task_id: str, status: str, error: dict | None) -> None:
        """A task ended short of done: a cancelled one leaves the shots it had ready, else an error. A
        storyboard cut short leaves none: the shots written so far would not tell the whole story."""
        project = self.projects.get(project_id)
        if project is not None and project.task_id == task_id and project.status == "storyboarding":
            with self.projects.lock:
                project.shots, project.characters = [], []
        ready = status == "cancelled" and project is not None and bool(project.shots)
        self.changed(project_id, task_id, "ready" if ready else "error", None if ready else error)
