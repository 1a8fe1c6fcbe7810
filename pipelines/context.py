"""What every stage gets besides its inputs: the models, the artifact store, the task's folder, the
cancel token, progress, item and storyboard hooks, the time limit of its ffmpeg runs and the
settings. One object, built once per task, handed to each step (`pipelines.steps`)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from models.cancel import CancelToken
from models.contracts import Registry
from pipelines.artifact_store import ArtifactStore
from pipelines.specs import Character, Scene

Progress = Callable[[str, float], None]  # stage, fraction
# A stage that runs beside the ones after it (True) until it ends (False): the next stage does not end it.
BesideHook = Callable[[str, bool], None]
ItemHook = Callable[[str, str, Path], None]  # scene_id (or a character's name), what it is, the file
# A storyboard's character (seed None) or scene (with its keyframe seed), as soon as the LLM wrote it.
WrittenHook = Callable[[Character | Scene, int | None], None]


@dataclass
class StageContext:
    registry: Registry  # the models in this process, or a cluster's render slots
    settings: object  # settings.Settings: limits, folders, batch sizes
    store: ArtifactStore
    task_dir: Path
    cancel: CancelToken = field(default_factory=CancelToken)
    on_progress: Progress = lambda stage, fraction: None
    on_item: ItemHook = lambda scene_id, what, path: None
    on_written: WrittenHook = lambda part, seed: None
    on_beside: BesideHook = lambda stage, running: None

    @property
    def timeout(self) -> float:
        """How long one ffmpeg run of a stage may take."""
        return self.settings.ffmpeg_timeout

    def stage(self, name: str, *, beside: bool = False) -> Callable[[float], None]:
        """A stage starts: it is announced, a pause or cancel asked for is honoured here (a shot
        boundary), and its progress hook is returned. A stage started `beside` keeps running while
        the next ones start, until `ended(name)`; any other stage ends when the next one starts."""
        if beside:
            self.on_beside(name, True)
        self.on_progress(name, 0.0)
        self.cancel.raise_if_cancelled(boundary=True)
        return lambda fraction: self.on_progress(name, fraction)

    def ended(self, name: str) -> None:
        """A stage started `beside` the others is done."""
        self.on_beside(name, False)
