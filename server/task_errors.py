"""Why a task is refused (a full queue, a reused key, a server going down), and what a failed task
tells its client: a stable code and a message with no host path and no memory address (the
server log keeps the details)."""

import re
from pathlib import Path

from models.errors import ModelError
from pipelines.ffmpeg import FFmpegError
from pipelines.specs import InvalidInput

ABSOLUTE_PATH = re.compile(r"(?:/[\w.@+-]+){2,}/?")
ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")


class QueueFull(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after


class IdempotencyConflict(Exception):
    pass


class ShuttingDown(Exception):
    pass


class TaskErrors:
    def __init__(self, data_dir: Path, weights_dir: Path):
        self.folders = ((data_dir, "/data"), (weights_dir, "$S2V_WEIGHTS_DIR"))

    def describe(self, error: BaseException) -> tuple[str, str]:
        """A stable code and a message fit for a client."""
        if isinstance(error, ModelError | FFmpegError):
            code = error.code
        elif isinstance(error, InvalidInput):
            code = "invalid_request"
        elif isinstance(error, OSError):
            code = "storage_error"
        else:
            return "internal_error", f"internal error ({type(error).__name__}); the server log has the details"
        return code, self.scrub(str(error))

    def scrub(self, message: str) -> str:
        for folder, name in self.folders:
            message = message.replace(str(folder.resolve()), name).replace(str(folder), name)
        message = ABSOLUTE_PATH.sub(lambda m: m.group(0) if m.group(0).startswith("/data/") else "<path>", message)
        return ADDRESS.sub("0x…", message)[:2000]
