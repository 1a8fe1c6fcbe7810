"""Who may read which file of the data root: a key reads its own tasks', projects' and uploads'
files, nothing else; and what turns a request's `/data/` reference into such a file."""

from pathlib import Path

from server import uploads
from server.references import FileResolver
from server.store import TaskStore
from server.uploads import Uploads
from studio.store import ProjectStore


class FileAccess:
    def __init__(self, data_dir: Path, tasks: TaskStore, projects: ProjectStore, uploads: Uploads, check_voice):
        self.data_dir, self.tasks, self.projects, self.uploads = data_dir, tasks, projects, uploads
        self.check_voice = check_voice  # a voice the speech engine speaks, else a ValueError

    def readable(self, parts: tuple[str, ...], owner: str) -> bool:
        """Whether `owner` may read the file at `parts` of the data root: one of its tasks', projects'
        or uploads'."""
        if parts[0] == uploads.FOLDER:
            return len(parts) == 2 and self.uploads.owner_of(parts[1]) == owner
        if project := self.projects.get(parts[0]):
            return project.owner == owner
        task = self.tasks.get(parts[0])
        return task is not None and task.owner == owner

    def resolver(self, owner: str) -> FileResolver:
        """What turns a request's `/data/` reference into a file, seen as `owner` sees the data root."""
        return FileResolver(self.data_dir, lambda parts: self.readable(parts, owner), self.check_voice)
