"""After each task: freed heap back to the OS, and now and then the artifact store trimmed to its
size limit (least recently used first, never a file something still links to)."""

import threading
import time

from loguru import logger

from pipelines.artifact_store import ArtifactStore
from server.worker import release_memory

EVICT_INTERVAL = 60.0  # seconds between two passes over the artifact store


class Housekeeping:
    def __init__(self, artifacts: ArtifactStore, max_bytes: int):
        self.artifacts, self.max_bytes = artifacts, max_bytes
        self._lock = threading.Lock()
        self._evicted_at = -EVICT_INTERVAL

    def after_task(self) -> None:
        release_memory()
        with self._lock:
            now = time.monotonic()
            if now - self._evicted_at < EVICT_INTERVAL:
                return
            self._evicted_at = now
        try:
            self.artifacts.evict(self.max_bytes)
        except OSError as error:
            logger.warning("artifact store eviction failed: {}", error)
