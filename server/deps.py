"""What routes are handed (FastAPI dependencies): the job table's task lifecycle, the project store,
the file access policy, the uploads and the settings, all made once when the app starts."""

import sqlite3
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from pipelines.artifact_store import ArtifactStore
from server.access import FileAccess
from server.jobs import Jobs
from server.store import TaskStore
from server.uploads import Uploads
from studio.store import ProjectStore


@dataclass
class Services:
    jobs: Jobs
    projects: ProjectStore
    access: FileAccess
    uploads: Uploads

    @classmethod
    def start(cls, settings, registry) -> "Services":
        database = settings.data_dir / "tasks.sqlite3"
        try:
            tasks = TaskStore(database)
        except (OSError, sqlite3.Error) as error:
            raise RuntimeError(f"cannot use the data directory {settings.data_dir}: {error}") from None
        uploads = Uploads(settings.data_dir, database)
        projects = ProjectStore(database)
        access = FileAccess(settings.data_dir, tasks, projects, uploads, registry.check_voice)
        artifacts = ArtifactStore(settings.data_dir / "artifacts")
        jobs = Jobs(settings, registry, tasks, projects, artifacts, access)
        jobs.start()  # the worker loads and warms the models; /readyz says when it is done
        return cls(jobs, projects, access, uploads)

    def stop(self, grace: float) -> None:
        self.jobs.shutdown(grace)
        self.jobs.store.close()  # what still runs stays `running` in the table: the next start resumes it
        self.uploads.close()
        self.projects.close()


def services(request: Request) -> Services:
    return request.app.state.services


def jobs(request: Request) -> Jobs:
    return services(request).jobs


def projects(request: Request) -> ProjectStore:
    return services(request).projects


def access(request: Request) -> FileAccess:
    return services(request).access


def uploads(request: Request) -> Uploads:
    return services(request).uploads


TasksDep = Annotated[Jobs, Depends(jobs)]
ProjectsDep = Annotated[ProjectStore, Depends(projects)]
AccessDep = Annotated[FileAccess, Depends(access)]
UploadsDep = Annotated[Uploads, Depends(uploads)]
